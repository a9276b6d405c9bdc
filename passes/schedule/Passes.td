//===- Passes.td - instruction scheduling -------------------*- tablegen -*-===//
#ifndef LPUC_PASSES_SCHEDULE_PASSES
#define LPUC_PASSES_SCHEDULE_PASSES

include "mlir/Pass/PassBase.td"

def LpuhwSchedulePass : Pass<"lpuhw-schedule", "::mlir::ModuleOp"> {
  let summary = "Give every lpuhw instruction its issue cycle and streams";
  let description = [{
    Schedules the instructions of `func.func @main` for the module's
    `lpu.target`: sets `cycle` on every instruction, `stream` (first output
    stream id: 0..S-1 east, S..2S-1 west) on every instruction with results,
    `alu` on `lpuhw.vxm` and `unit` on the SXM ops (`sxm_permute`,
    `sxm_shift`, `sxm_rotate`, `sxm_transpose`) when absent, and
    the schedule length as the module attribute `lpuhw.cycles`.

    Ops connected by stream values form rigid bundles (each stream edge is an
    exact timing equation); bundles are list-scheduled in critical-path order
    over a reservation table of queues, MEM ports and stream paths, with SRAM
    and MXM plane order as dependences. See docs/passes/lpuhw-schedule.md.
  }];
  let options = [
    Option<"horizon", "horizon", "int64_t",
           /*default=*/"::lpuc::sched::kDefaultHorizon",
           "Cycles past a bundle's dependences searched before giving up">,
    Option<"window", "window", "int64_t", /*default=*/"int64_t(1) << 18",
           "Instructions scheduled together: the program is scheduled in "
           "windows of at least this many instructions, each ending where no "
           "stream value is live, over one reservation table (0: the whole "
           "program at once)">,
    Option<"floorLag", "floor-lag", "int64_t",
           /*default=*/"::lpuc::sched::kDefaultFloorLag",
           "How far back a window may reach: no bundle starts more than this "
           "many cycles before the end of the windows scheduled before it "
           "(WindowScheduler::floor)">,
  ];
  let dependentDialects = ["::lpuc::lpuhw::LpuhwDialect"];
}

#endif
