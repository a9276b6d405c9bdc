//===- LpuhwOps.h - lpuhw operations ---------------------------*- C++ -*-===//
#ifndef LPUC_DIALECTS_LPUHW_LPUHWOPS_H
#define LPUC_DIALECTS_LPUHW_LPUHWOPS_H

#include "dialects/lpuhw/LpuhwDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/lpuhw/LpuhwOps.h.inc"

#endif
