//===- Loader.h - From a verified .lpubin to emulator programs -*- C++ -*-===//
#ifndef LPUC_RUNTIME_LOADER_LOADER_H
#define LPUC_RUNTIME_LOADER_LOADER_H

#include "runtime/emulator/Emulator.h"
#include "runtime/format/Lpubin.h"
#include "runtime/isa/Layout.h"

namespace lpuc::loader {

/// The SRAM layout of a tensor described in a manifest.
isa::TensorLayout layoutOf(const schema::TensorInfo &t, uint32_t lanes);

/// Decodes the instruction and lane-map segments of a verified file into
/// one program per chip, checked and ready to install (emu::prepareProgram).
absl::StatusOr<std::vector<std::shared_ptr<const emu::ChipProgram>>>
decodePrograms(const format::Lpubin &file, const isa::Machine &machine);

/// Writes every WEIGHTS segment into the emulator's SRAM at its placement.
void writeWeights(const format::Lpubin &file, const isa::Machine &machine,
                  emu::Emulator &emulator);

/// Writes / reads a tensor's plane-rows at its placement.
void writePlaneRows(emu::Sram &sram, const isa::TensorLayout &l,
                    const uint8_t *planeRows);
std::vector<uint8_t> readPlaneRows(const emu::Sram &sram,
                                   const isa::TensorLayout &l);

} // namespace lpuc::loader

#endif
