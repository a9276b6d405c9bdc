//===- MappedPages.h - Weight bytes in read-only file mappings --*- C++ -*-===//
//
// lpuc keeps weight data in read-only file mappings rather than on the heap:
// the importer maps the model file, lpu-precision writes the weights it
// narrows to an unlinked temporary file and maps that (WeightFile). Pages of
// such a mapping can be dropped at any time (they come back from the file
// when read again), so a pass that has finished with a weight's bytes (the
// emitter, once it has written them) gives them back with
// releaseMappedPages. Heap memory is never touched by it: only ranges inside
// a registered mapping are released.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_COMPILER_SUPPORT_MAPPEDPAGES_H
#define LPUC_COMPILER_SUPPORT_MAPPEDPAGES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstddef>
#include <memory>
#include <string>

namespace lpuc {

/// Records [data, data + size) as a read-only file mapping (until
/// unregisterMapping(data)). Thread-safe.
void registerMapping(const void *data, size_t size);
void unregisterMapping(const void *data);

/// Drops the resident pages wholly inside `range` (pages shared with
/// neighbouring data stay) if `range` lies in a registered mapping; returns
/// whether it did. Thread-safe.
bool releaseMappedPages(llvm::ArrayRef<char> range);

/// An unlinked temporary file in one directory to which weights are
/// appended; each appended range is mapped read-only on its own and stays
/// valid after the WeightFile is gone (the mapping keeps the file).
class WeightFile {
public:
  /// Creates the file in `dir` (O_TMPFILE, else a named file removed at
  /// once). Nothing is left on disk when the process ends.
  static llvm::Expected<std::unique_ptr<WeightFile>>
  create(llvm::StringRef dir);
  ~WeightFile();

  /// Appends `size` bytes, which `fill(offset, piece)` writes in pieces of at
  /// most 1 MiB (offset: of the piece within the `size` bytes), and maps
  /// them. The mapping is registered; `release` (the returned deleter's
  /// job) unmaps and unregisters it.
  struct Mapped {
    const char *data = nullptr;
    size_t size = 0;
    /// Unmaps (call once, when the last user of the data is gone).
    static void release(const char *data, size_t size);
  };
  llvm::Expected<Mapped>
  append(size_t size,
         llvm::function_ref<void(size_t offset, llvm::MutableArrayRef<char>)>
             fill);

private:
  explicit WeightFile(int fd, std::string dir)
      : fd_(fd), dir_(std::move(dir)) {}
  int fd_;
  std::string dir_;
  size_t end_ = 0;
};

} // namespace lpuc

#endif
