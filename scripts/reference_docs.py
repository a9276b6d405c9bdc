#!/usr/bin/env python3
"""reference_docs.py BUILD_DOCS REFERENCE_DIR [--update]

Compares (or, with --update, copies) the dialect and pass references that
mlir-tblgen generated under BUILD_DOCS/{dialects,passes} with the committed
copies in REFERENCE_DIR. Exit 1 if a committed copy is missing or stale.
"""
import os
import shutil
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv[3:]
    stale = []
    for sub in ("dialects", "passes"):
        d = os.path.join(src, sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            gen = os.path.join(d, name)
            ref = os.path.join(dst, name)
            new = open(gen, encoding="utf-8").read()
            old = open(ref, encoding="utf-8").read() if os.path.exists(ref) else None
            if new != old:
                if update:
                    os.makedirs(dst, exist_ok=True)
                    shutil.copyfile(gen, ref)
                    print("updated", ref)
                else:
                    stale.append(name)
    if stale:
        print("stale docs/reference files (run `ninja -C build lpuc-docs-update`):",
              ", ".join(stale))
        return 1
    print("docs/reference is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
