//===- LpuDialect.h - lpu dialect -------------------------------*- C++ -*-===//
#ifndef LPUC_DIALECTS_LPU_LPUDIALECT_H
#define LPUC_DIALECTS_LPU_LPUDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Dialect.h"

#include "dialects/lpu/LpuDialect.h.inc"

#endif // LPUC_DIALECTS_LPU_LPUDIALECT_H
