"""SynthDF, the built-in demo dataset: who is in it (:mod:`.identities`, the face catalogue) and how
its real and fake clips are made (:mod:`.generator`)."""
