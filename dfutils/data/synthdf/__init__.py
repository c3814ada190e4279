"""SynthDF, the built-in demo dataset: who is in it (:mod:`.identities`, the face catalogue; :mod:`.catalogue`,
its identities, methods and sizes), how its real clips move (:mod:`.geometry`, :mod:`.clips`), how its fakes are
made (:mod:`.manipulations`), and the build itself (:mod:`.generator`)."""
