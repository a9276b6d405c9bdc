//===- Passes.td - schedule verification --------------------*- tablegen -*-===//
#ifndef LPUC_PASSES_VERIFY_PASSES
#define LPUC_PASSES_VERIFY_PASSES

include "mlir/Pass/PassBase.td"

def LpuhwVerifySchedulePass
    : Pass<"lpuhw-verify-schedule", "::mlir::ModuleOp"> {
  let summary = "Check a scheduled lpuhw module with the emulator's hazard rules";
  let description = [{
    An independent checker of the output of `lpuhw-schedule`: every
    instruction has a cycle (results a stream, vxm an ALU, the SXM ops a
    unit); every operand is read exactly when its value passes the reader,
    on the right stream of its group, and was not ended on its way; no two
    values are put on one stream slot; queues, MEM ports, SRAM rows and MXM
    planes are used in a legal order; and the module's `lpuhw.cycles` is the
    program's length. All numbers come from the module's target
    (`lpu.target`, default lpu-v1). Errors name the queue, the cycle and the
    rule. See docs/passes/lpuhw-verify-schedule.md.
  }];
}

#endif
