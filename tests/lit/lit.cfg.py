import os
import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "lpuc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.lpuc_obj_root, "tests", "lit")
llvm_config.use_default_substitutions()  # FileCheck, `| not`, `| count`
# `not` at the start of a RUN line is found through PATH only.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
# %python is the Debian interpreter that has the `onnx` module, not
# whichever python runs lit.
config.substitutions.insert(0, ("%python", config.python_executable))
config.substitutions.append(("%testdata", config.onnx_testdata))
# Tools that are not built yet are simply not substituted.
llvm_config.add_tool_substitutions(
    [ToolSubst(t, unresolved="ignore") for t in ["lpuc-opt", "lpuc", "lpurun"]],
    [config.lpuc_tools_dir],
)
