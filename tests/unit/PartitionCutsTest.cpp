//===- PartitionCutsTest.cpp - lpu-partition's stage cuts -----------------===//
//
// partition::cutBytes and partition::refineCuts on hand-made op costs: a
// cut moves to where fewer activation bytes cross, within the budget.
//
//===----------------------------------------------------------------------===//
#include "passes/partition/Passes.h"

#include <gtest/gtest.h>

using namespace lpuc::partition;

namespace {

/// A chain of ops: op i costs cost[i] and defines value i (bytes[i]), which
/// op i+1 reads; the last value is the result.
OpCosts chain(const std::vector<uint64_t> &cost,
              const std::vector<uint64_t> &bytes) {
  OpCosts c;
  size_t n = bytes.size();
  for (size_t i = 0; i < n; ++i) {
    c.cost.push_back(cost[i]);
    c.live.push_back(bytes[i] + (i ? bytes[i - 1] : 0));
    c.reads.push_back(i ? std::vector<uint32_t>{uint32_t(i - 1)}
                        : std::vector<uint32_t>{});
    c.defines.push_back({uint32_t(i)});
    c.bytes.push_back(bytes[i]);
    c.producer.push_back(i);
    c.lastUse.push_back(i + 1 < n ? i + 1 : i);
  }
  c.xfer = 0;
  return c;
}

// Four heavy ops, two light ones; values 1 and 2 are large.
OpCosts example() {
  return chain({1000, 1000, 1000, 1000, 100, 100}, {10, 500, 500, 10, 10, 10});
}

TEST(PartitionCuts, CutBytesCountsValuesLiveAcrossTheCut) {
  OpCosts c = example();
  EXPECT_EQ(cutBytes(c, 0), 0u);
  EXPECT_EQ(cutBytes(c, 1), 10u);
  EXPECT_EQ(cutBytes(c, 2), 500u);
  EXPECT_EQ(cutBytes(c, 3), 500u);
  EXPECT_EQ(cutBytes(c, 4), 10u);
  // A value read far ahead crosses every cut in between.
  c.reads[5].push_back(0);
  c.lastUse[0] = 5;
  EXPECT_EQ(cutBytes(c, 4), 20u);
}

TEST(PartitionCuts, RefineMovesACutToFewerBytes) {
  OpCosts c = example();
  // Greedy: ops 0..2 load 3,000 + 1,000 of activations; op 3 would make it
  // 5,000 > 4,500: the cut is at op 3, where the 500 B of value 2 cross.
  std::vector<size_t> starts = cutStages(c, 4500);
  ASSERT_EQ(starts, (std::vector<size_t>{0, 3}));
  // At op 1 only value 0 (10 B) crosses and ops 1..5 load 4,200.
  refineCuts(c, starts, 4500);
  EXPECT_EQ(starts, (std::vector<size_t>{0, 1}));
  for (uint64_t load : stageLoads(c, starts))
    EXPECT_LE(load, 4500u);
}

TEST(PartitionCuts, RefineKeepsTheBudgetAndTheWindow) {
  OpCosts c = example();
  // With a budget of 4,100 ops 1..5 (4,200) do not fit one chip: the cut
  // stays where the greedy cut put it.
  std::vector<size_t> starts = cutStages(c, 4100);
  ASSERT_EQ(starts, (std::vector<size_t>{0, 3}));
  refineCuts(c, starts, 4100);
  EXPECT_EQ(starts, (std::vector<size_t>{0, 3}));
  // A window of 0 ops never moves a cut.
  starts = {0, 3};
  refineCuts(c, starts, 4500, /*window=*/0);
  EXPECT_EQ(starts, (std::vector<size_t>{0, 3}));
}

} // namespace
