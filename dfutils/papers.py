"""The papers' published numbers, copied from ``../shared/PAPERS.md``: the one place they are written.

:mod:`dfutils.evaluation.results` lays our figures beside them; :mod:`dfutils.nets.architectures` checks its Paper A
parameter counts against them.
"""

from __future__ import annotations

import pandas as pd

PAPER_A_DATASET = "DFDC (Singh et al. 2020, Table 2)"
PAPER_A_TABLE2 = pd.DataFrame(
    [("EfficientNet-B1", 97.63, 99.61, 0.0390, 0.976, 7_304_961),
     ("EfficientNet-B0", 96.24, 99.60, 0.0519, 0.961, 4_779_293),
     ("XceptionNet", 86.62, 96.41, 0.1903, 0.849, 21_984_425),
     ("InceptionV3", 92.07, 97.67, 0.1201, 0.917, 22_925_729)],
    columns=["backbone", "accuracy %", "AUC %", "MAE", "F1", "parameters"],
).set_index("backbone")
PAPER_A_BACKBONES = {"efficientnet_b1": "EfficientNet-B1", "efficientnet_b0": "EfficientNet-B0",
                     "xception": "XceptionNet", "inception_v3": "InceptionV3"}

PAPER_B_DATASETS = {"I": "Celeb-DF v2", "II": "FaceForensics++ c40", "III": "FaceForensics++ c40",
                    "IV": "FaceForensics++ c40"}
PAPER_B_TABLE1 = pd.DataFrame(  # Celeb-DF AUC %
    [("frames only", 99.2), ("triplets", 99.7)], columns=["model", "AUC %"]).set_index("model")
PAPER_B_TABLE1_QUOTED = pd.DataFrame(  # Celeb-DF AUC %, quoted by Paper B from the Celeb-DF paper (not run here)
    [("Xception", 65.5), ("DSP-FWA", 64.6), ("Capsule", 57.5), ("FWA", 56.9), ("VA-LogReg", 55.1), ("VA-MLP", 55.0),
     ("Meso-4", 54.8), ("HeadPose", 54.6), ("Multi-task", 54.3), ("Two-Stream", 53.8), ("MesoInception4", 53.6)],
    columns=["model", "AUC %"]).set_index("model")
PAPER_B_TABLE2 = pd.DataFrame(  # FF++ c40 accuracy %
    [("frames only", 49.82), ("3D convolution", 43.47), ("frames + LSTM/GRU", 55.8), ("triplets (semi-hard)", 86.74)],
    columns=["model", "accuracy %"]).set_index("model")
PAPER_B_TABLE3 = pd.DataFrame(  # FF++ c40 triplet classifiers, %
    [("triplets + RF", 89.84, 82.73, 86.14, 92.85, 12.14), ("triplets + SGD", 90.55, 82.74, 86.47, 92.9, 10.07)],
    columns=["model", "precision %", "recall %", "F1 %", "AUC %", "EER %"]).set_index("model")
PAPER_B_TABLE4 = pd.DataFrame(  # FF++ c40 accuracy %: NeuralTextures fakes / pristine (real) videos
    [("Steg. features + SVM", 55.84, 56.94), ("Cozzolino et al.", 62.15, 56.27), ("Bayar and Stamm", 74.36, 53.87),
     ("Rahmouni et al.", 59.99, 56.79), ("MesoNet", 44.81, 77.58), ("XceptionNet", 78.06, 75.27),
     ("triplets (semi-hard)", 90.71, 82.73)],
    columns=["model", "NeuralTextures accuracy %", "pristine accuracy %"]).set_index("model")
