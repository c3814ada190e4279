"""Running the notebooks: profiles and their parameters (:mod:`.params`, :mod:`.notebook_params`),
the runner with its HTML report (:mod:`.runner`), the pre-flight check (:mod:`.preflight`), a run's
record (:mod:`.provenance`) and the key figures each notebook records (:mod:`.key_figures`)."""
