# End-to-end tests: ONNX in, numbers out. Same tools and substitutions as
# tests/lit; plus %examples (the shipped example models).
import os

here = os.path.dirname(os.path.abspath(__file__))
lit_config.load_config(config, os.path.join(here, "..", "lit", "lit.cfg.py"))
config.name = "lpuc-e2e"
config.test_source_root = here
config.test_exec_root = os.path.join(config.lpuc_obj_root, "tests", "e2e")
config.substitutions.append(
    ("%examples", os.path.normpath(os.path.join(here, "..", "..", "examples"))))
