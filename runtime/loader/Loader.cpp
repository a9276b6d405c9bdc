#include "runtime/loader/Loader.h"

#include <algorithm>
#include <cstring>

namespace lpuc::loader {

isa::TensorLayout layoutOf(const schema::TensorInfo &t, uint32_t lanes) {
  isa::TensorLayout l;
  l.dtype = isa::DType(t.dtype());
  l.shape.assign(t.shape().begin(), t.shape().end());
  l.lanes = lanes;
  l.slices.assign(t.placement().slices().begin(), t.placement().slices().end());
  l.bank = t.placement().bank();
  l.baseRow = t.placement().base_row();
  return l;
}

absl::StatusOr<std::vector<std::shared_ptr<const emu::ChipProgram>>>
decodePrograms(const format::Lpubin &file, const isa::Machine &machine) {
  const schema::Manifest &m = file.manifest;
  std::vector<emu::ChipProgram> chips(m.chip_count());
  for (emu::ChipProgram &c : chips)
    c.queues.resize(machine.numQueues());
  std::vector<isa::Instruction> scratch;
  for (int i = 0; i < m.segments_size(); ++i) {
    const schema::Segment &s = m.segments(i);
    const uint8_t *p = file.segment(size_t(i));
    emu::ChipProgram &c = chips[s.chip()];
    if (s.kind() == schema::Segment::INSTRUCTIONS) {
      // Decoded into a scratch array reused by every queue, then copied
      // into a queue sized for its repeats' expansion, which
      // emu::prepareProgram then does in place: the instructions are
      // written to fresh memory once (was twice, 2 page faults per 4 KiB).
      scratch.clear();
      scratch.reserve(s.instructions());
      for (uint32_t k = 0; k < s.instructions(); ++k)
        scratch.push_back(isa::decode(p + size_t(k) * isa::kInstructionBytes));
      std::vector<isa::Instruction> &q = c.queues[s.queue()];
      size_t n = std::max(emu::expandedSize(machine, scratch), scratch.size());
      q.reserve(n);
      emu::adviseHugePages(q.data(), n * sizeof(isa::Instruction),
                           /*populate=*/true);
      q.insert(q.end(), scratch.begin(), scratch.end());
    } else if (s.kind() == schema::Segment::LANE_MAPS) {
      size_t maps = s.size() / (2 * machine.lanes());
      c.laneMaps.assign(maps, std::vector<int16_t>(machine.lanes()));
      for (size_t k = 0; k < maps; ++k)
        for (uint32_t l = 0; l < machine.lanes(); ++l) {
          const uint8_t *e = p + (k * machine.lanes() + l) * 2;
          c.laneMaps[k][l] = int16_t(uint16_t(e[0] | e[1] << 8));
        }
    } else if (s.kind() == schema::Segment::VXM_CHAINS) {
      for (size_t k = 0; k < s.size() / isa::kChainStepBytes; ++k)
        c.chainSteps.push_back(
            isa::decodeChainStep(p + k * isa::kChainStepBytes));
    }
  }
  std::vector<std::shared_ptr<const emu::ChipProgram>> prepared;
  for (uint32_t c = 0; c < chips.size(); ++c) {
    absl::StatusOr<std::shared_ptr<const emu::ChipProgram>> p =
        emu::prepareProgram(machine, c, uint32_t(chips.size()),
                            std::move(chips[c]));
    if (!p.ok())
      return p.status();
    prepared.push_back(std::move(*p));
  }
  return prepared;
}

void writePlaneRows(emu::Sram &sram, const isa::TensorLayout &l,
                    const uint8_t *planeRows) {
  int64_t n = l.planeRows();
  for (int64_t q = 0; q < n; ++q) {
    isa::SramAddress a = l.address(q);
    std::memcpy(sram.mutableRow(a.slice, a.bank, a.row),
                planeRows + size_t(q) * l.lanes, l.lanes);
  }
}

std::vector<uint8_t> readPlaneRows(const emu::Sram &sram,
                                   const isa::TensorLayout &l) {
  int64_t n = l.planeRows();
  std::vector<uint8_t> out(size_t(n) * l.lanes);
  for (int64_t q = 0; q < n; ++q) {
    isa::SramAddress a = l.address(q);
    std::memcpy(out.data() + size_t(q) * l.lanes,
                sram.row(a.slice, a.bank, a.row), l.lanes);
  }
  return out;
}

void writeWeights(const format::Lpubin &file, const isa::Machine &machine,
                  emu::Emulator &emulator) {
  const schema::Manifest &m = file.manifest;
  for (int i = 0; i < m.segments_size(); ++i) {
    const schema::Segment &s = m.segments(i);
    if (s.kind() != schema::Segment::WEIGHTS)
      continue;
    for (const schema::ChipProgram &cp : m.chips())
      if (cp.chip() == s.chip()) {
        isa::TensorLayout l =
            layoutOf(cp.weights(int(s.tensor())), machine.lanes());
        writePlaneRows(emulator.sram(s.chip()), l, file.segment(size_t(i)));
      }
  }
}

} // namespace lpuc::loader
