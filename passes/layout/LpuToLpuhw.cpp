//===- LpuToLpuhw.cpp - lpu ops to lpuhw instructions ---------------------===//
#include "passes/layout/LayoutUtils.h"
#include "passes/layout/Passes.h"

namespace lpuc {
#define GEN_PASS_DEF_LPUTOLPUHWPASS
#include "passes/layout/Passes.h.inc"
} // namespace lpuc

namespace {
struct LpuToLpuhwPass : lpuc::impl::LpuToLpuhwPassBase<LpuToLpuhwPass> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
