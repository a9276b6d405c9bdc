//===- MappedPages.cpp - Weight bytes in read-only file mappings ----------===//

#include "compiler/support/MappedPages.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace lpuc {
namespace {

llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

struct Registry {
  std::mutex mu;
  std::map<uintptr_t, size_t> ranges; // begin -> size
};

Registry &registry() {
  static Registry *r = new Registry(); // never destroyed: used at exit
  return *r;
}

size_t pageSize() {
  static const size_t page = size_t(::sysconf(_SC_PAGESIZE));
  return page;
}

} // namespace

void registerMapping(const void *data, size_t size) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.ranges[reinterpret_cast<uintptr_t>(data)] = size;
}

void unregisterMapping(const void *data) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.ranges.erase(reinterpret_cast<uintptr_t>(data));
}

bool releaseMappedPages(llvm::ArrayRef<char> range) {
  uintptr_t begin = reinterpret_cast<uintptr_t>(range.data());
  uintptr_t end = begin + range.size();
  {
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.ranges.upper_bound(begin);
    if (it == r.ranges.begin())
      return false;
    --it;
    if (end > it->first + it->second)
      return false;
  }
  uintptr_t page = pageSize();
  begin = (begin + page - 1) / page * page;
  end = end / page * page;
  if (begin < end)
    ::madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
  return true;
}

llvm::Expected<std::unique_ptr<WeightFile>>
WeightFile::create(llvm::StringRef dir) {
  std::string d = dir.empty() ? "." : dir.str();
  int fd = ::open(d.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    // No O_TMPFILE on this file system: a named file, removed at once.
    std::string name = d + "/.lpuc-weights-XXXXXX";
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0)
      return err("cannot create a temporary weight file in '" + d +
                 "': " + std::strerror(errno));
    ::unlink(name.c_str());
  }
  return std::unique_ptr<WeightFile>(new WeightFile(fd, d));
}

WeightFile::~WeightFile() { ::close(fd_); }

llvm::Expected<WeightFile::Mapped> WeightFile::append(
    size_t size,
    llvm::function_ref<void(size_t, llvm::MutableArrayRef<char>)> fill) {
  Mapped out;
  if (size == 0)
    return out;
  // Each weight starts on a page of its own: it is mapped by itself, and
  // releasing its pages never touches a neighbour's.
  size_t page = pageSize();
  size_t at = (end_ + page - 1) / page * page;
  constexpr size_t kPiece = size_t(1) << 20;
  std::vector<char> buf(std::min(size, kPiece));
  for (size_t off = 0; off < size; off += kPiece) {
    size_t n = std::min(kPiece, size - off);
    fill(off, llvm::MutableArrayRef<char>(buf.data(), n));
    for (size_t done = 0; done < n;) {
      ssize_t w =
          ::pwrite(fd_, buf.data() + done, n - done, off_t(at + off + done));
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return err("cannot write the temporary weight file in '" + dir_ +
                   "': " + std::strerror(w < 0 ? errno : ENOSPC));
      done += size_t(w);
    }
  }
  end_ = at + size;
  void *p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd_, off_t(at));
  if (p == MAP_FAILED)
    return err("cannot map the temporary weight file in '" + dir_ +
               "': " + std::strerror(errno));
  out.data = static_cast<const char *>(p);
  out.size = size;
  registerMapping(out.data, size);
  return out;
}

void WeightFile::Mapped::release(const char *data, size_t size) {
  if (!data)
    return;
  unregisterMapping(data);
  ::munmap(const_cast<char *>(data), size);
}

} // namespace lpuc
