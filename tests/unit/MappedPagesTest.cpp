//===- MappedPagesTest.cpp - Weight bytes in read-only file mappings ------===//

#include "compiler/support/MappedPages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

/// Resident KiB of the mapping that contains `p` (/proc/self/smaps), -1 if
/// none does.
long residentKiB(const void *p) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long lo, hi;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 &&
        line.find(':') > line.find(' ')) {
      inside = lo <= a && a < hi;
      continue;
    }
    long kib;
    if (inside && std::sscanf(line.c_str(), "Rss: %ld kB", &kib) == 1)
      return kib;
  }
  return -1;
}

TEST(MappedPages, WeightFileKeepsBytesAndGivesPagesBack) {
  const char *tmp = std::getenv("TMPDIR");
  auto file = lpuc::WeightFile::create(tmp ? tmp : "/tmp");
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  // 3 MiB + 5 bytes: several 1 MiB pieces and a short one.
  const size_t size = (size_t(3) << 20) + 5;
  auto mapped = (*file)->append(
      size, [](size_t offset, llvm::MutableArrayRef<char> piece) {
        for (size_t i = 0; i < piece.size(); ++i)
          piece[i] = char((offset + i) * 7 % 251);
      });
  ASSERT_TRUE(bool(mapped)) << llvm::toString(mapped.takeError());
  file->reset(); // the mapping outlives the descriptor
  ASSERT_EQ(mapped->size, size);
  auto check = [&] {
    for (size_t i = 0; i < size; ++i)
      if (mapped->data[i] != char(i * 7 % 251))
        return false;
    return true;
  };
  // Written with pwrite, not through the mapping: nothing resident yet.
  EXPECT_EQ(residentKiB(mapped->data), 0);
  EXPECT_TRUE(check());
  EXPECT_GE(residentKiB(mapped->data), 3 * 1024);
  EXPECT_TRUE(lpuc::releaseMappedPages(
      llvm::ArrayRef<char>(mapped->data, mapped->size)));
  // Every page but the last, partly filled one (pages shared with the data
  // after a range stay).
  EXPECT_LE(residentKiB(mapped->data), 4);
  EXPECT_TRUE(check()); // read back from the file
  lpuc::WeightFile::Mapped::release(mapped->data, mapped->size);
}

TEST(MappedPages, HeapIsNeverReleased) {
  std::vector<char> heap(size_t(1) << 20, 'x');
  EXPECT_FALSE(lpuc::releaseMappedPages(heap));
  for (char c : heap)
    ASSERT_EQ(c, 'x');
}

TEST(MappedPages, OnlyRangesInsideARegisteredMapping) {
  alignas(4096) static char region[3 * 4096];
  lpuc::registerMapping(region + 1024, 4096);
  EXPECT_TRUE(lpuc::releaseMappedPages(
      llvm::ArrayRef<char>(region + 1024, 4096))); // no whole page inside
  EXPECT_TRUE(
      lpuc::releaseMappedPages(llvm::ArrayRef<char>(region + 2000, 10)));
  EXPECT_FALSE(
      lpuc::releaseMappedPages(llvm::ArrayRef<char>(region + 1000, 100)));
  EXPECT_FALSE(
      lpuc::releaseMappedPages(llvm::ArrayRef<char>(region + 5000, 200)));
  lpuc::unregisterMapping(region + 1024);
  EXPECT_FALSE(
      lpuc::releaseMappedPages(llvm::ArrayRef<char>(region + 2000, 10)));
}

} // namespace
