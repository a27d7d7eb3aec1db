// glibc floor of the shipped Linux library (NG_GLIBC_COMPAT, see native/CMakeLists.txt).
//
// The library links libstdc++ and libgcc statically. Built against a new glibc, their archives
// reference symbols at versions that older C libraries do not have: pthread_* moved into libc in
// 2.34 under new versions, and __libc_single_threaded (2.32), _dl_find_object (2.35) and
// arc4random (2.36) did not exist before. The link wraps exactly those references
// (-Wl,--wrap=<symbol>, so the archive members call __wrap_<symbol>) and this file binds each one
// to something glibc 2.31 provides:
//   - pthread_*: the same function under its original version (GLIBC_2.2.5 on x86-64,
//     GLIBC_2.17 on aarch64), which every glibc keeps exporting; before 2.34 it lives in
//     libpthread.so.0, which the library therefore lists as DT_NEEDED.
//   - _dl_find_object: the real one when the running glibc has it, else the same answer built
//     from dl_iterate_phdr. libgcc's unwinder finds the unwind tables of a code address only
//     through it, and every C ABI entry catches C++ exceptions, so it must never fail spuriously.
//   - arc4random: the kernel's getrandom (what glibc's own implementation is built on).
//   - __libc_single_threaded: a constant "false", so libstdc++ always takes its thread-safe
//     paths (atomic reference counts); correct whatever the process does, at a negligible cost.
// packaging/check-native-deps.sh rejects any symbol newer than the floor that appears later;
// a new one gets a --wrap in native/CMakeLists.txt and a definition here.
#if defined(__linux__)
#include <features.h>  // defines __GLIBC__
#endif
#if defined(__linux__) && defined(__GLIBC__) && (defined(__x86_64__) || defined(__aarch64__))

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>

#if defined(__x86_64__)
#define NG_GLIBC_BASE "GLIBC_2.2.5"
#define NG_GLIBC_DLADDR1 "GLIBC_2.3.3"
#else
#define NG_GLIBC_BASE "GLIBC_2.17"
#define NG_GLIBC_DLADDR1 "GLIBC_2.17"
#endif

// ng_glibc_old_X is X at the version every glibc since the architecture's first release exports.
// The versioned name is bound by the assembler, so the link never sees a plain "X" here and the
// default (newest) version cannot be picked.
#define NG_OLD_VERSION(name, version) __asm__(".symver ng_glibc_old_" #name "," #name "@" version)

extern "C" {
int ng_glibc_old_pthread_create(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
int ng_glibc_old_pthread_join(pthread_t, void**);
int ng_glibc_old_pthread_detach(pthread_t);
int ng_glibc_old_pthread_once(pthread_once_t*, void (*)());
int ng_glibc_old___pthread_key_create(pthread_key_t*, void (*)(void*));
void* ng_glibc_old_dlvsym(void*, const char*, const char*);
int ng_glibc_old_dladdr1(const void*, Dl_info*, void**, int);
}
NG_OLD_VERSION(pthread_create, NG_GLIBC_BASE);
NG_OLD_VERSION(pthread_join, NG_GLIBC_BASE);
NG_OLD_VERSION(pthread_detach, NG_GLIBC_BASE);
NG_OLD_VERSION(pthread_once, NG_GLIBC_BASE);
NG_OLD_VERSION(__pthread_key_create, NG_GLIBC_BASE);
NG_OLD_VERSION(dlvsym, NG_GLIBC_BASE);
NG_OLD_VERSION(dladdr1, NG_GLIBC_DLADDR1);

namespace {

#if defined(DLFO_STRUCT_HAS_EH_DBASE)  // <dlfcn.h> of glibc 2.35+ declares _dl_find_object
// The dl_iterate_phdr answer for one address: the object whose PT_LOAD segments contain it.
struct FindObjectQuery {
  std::uintptr_t pc;
  dl_find_object* result;
  bool found;
};

int find_object_in(dl_phdr_info* info, std::size_t, void* data) {
  auto* query = static_cast<FindObjectQuery*>(data);
  std::uintptr_t lowest = UINTPTR_MAX;
  std::uintptr_t highest = 0;
  bool contains = false;
  void* eh_frame_hdr = nullptr;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    const std::uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD) {
      const std::uintptr_t end = start + ph.p_memsz;
      lowest = start < lowest ? start : lowest;
      highest = end > highest ? end : highest;
      contains = contains || (query->pc >= start && query->pc < end);
    } else if (ph.p_type == PT_GNU_EH_FRAME) {
      eh_frame_hdr = reinterpret_cast<void*>(start);
    }
  }
  if (!contains) return 0;
  query->result->dlfo_flags = 0;
  query->result->dlfo_map_start = reinterpret_cast<void*>(lowest);
  query->result->dlfo_map_end = reinterpret_cast<void*>(highest);
  query->result->dlfo_eh_frame = eh_frame_hdr;
  query->found = true;
  return 1;  // stops the iteration
}

int find_object_fallback(void* pc, dl_find_object* result) {
  FindObjectQuery query{reinterpret_cast<std::uintptr_t>(pc), result, false};
  dl_iterate_phdr(find_object_in, &query);
  if (!query.found) return -1;
  // The link map is not part of dl_iterate_phdr's answer; dladdr1 has it (outside the callback,
  // which runs under the loader's lock).
  Dl_info info{};
  void* map = nullptr;
  if (ng_glibc_old_dladdr1(pc, &info, &map, RTLD_DL_LINKMAP) == 0) map = nullptr;
  result->dlfo_link_map = static_cast<struct link_map*>(map);
  return 0;
}

using FindObjectFn = int (*)(void*, dl_find_object*);

// The glibc function when the running C library has it (2.35+), else the fallback. Resolved once;
// two threads racing here store the same value.
FindObjectFn resolve_find_object() {
  static std::atomic<FindObjectFn> cached{nullptr};
  FindObjectFn fn = cached.load(std::memory_order_acquire);
  if (fn == nullptr) {
    void* real = ng_glibc_old_dlvsym(RTLD_DEFAULT, "_dl_find_object", "GLIBC_2.35");
    fn = real != nullptr ? reinterpret_cast<FindObjectFn>(real) : find_object_fallback;
    cached.store(fn, std::memory_order_release);
  }
  return fn;
}
#endif

bool fill_random(void* buffer, std::size_t size) {
  auto* bytes = static_cast<unsigned char*>(buffer);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = getrandom(bytes + done, size - done, 0);
    if (got > 0) {
      done += static_cast<std::size_t>(got);
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // ENOSYS (pre-3.17 kernel) or a seccomp filter: /dev/urandom below
    }
  }
  if (done == size) return true;
  const int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  while (done < size) {
    const ssize_t got = read(fd, bytes + done, size - done);
    if (got > 0) {
      done += static_cast<std::size_t>(got);
    } else if (!(got < 0 && errno == EINTR)) {
      break;
    }
  }
  close(fd);
  return done == size;
}

}  // namespace

extern "C" {

// Hidden like everything else in the library: these names exist only for the static link.
int __wrap_pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  return ng_glibc_old_pthread_create(thread, attr, start, arg);
}

int __wrap_pthread_join(pthread_t thread, void** value) { return ng_glibc_old_pthread_join(thread, value); }

int __wrap_pthread_detach(pthread_t thread) { return ng_glibc_old_pthread_detach(thread); }

int __wrap_pthread_once(pthread_once_t* once, void (*init)()) { return ng_glibc_old_pthread_once(once, init); }

// libgcc's gthreads reference this weakly and treat a null address as "no threads" (mutexes
// become no-ops); the wrapper is always present, so threading stays on under any glibc.
int __wrap___pthread_key_create(pthread_key_t* key, void (*destructor)(void*)) {
  return ng_glibc_old___pthread_key_create(key, destructor);
}

#if defined(DLFO_STRUCT_HAS_EH_DBASE)
int __wrap__dl_find_object(void* pc, dl_find_object* result) { return resolve_find_object()(pc, result); }
#endif

std::uint32_t __wrap_arc4random() {
  std::uint32_t value = 0;
  // glibc's arc4random cannot fail either: it terminates the process when the kernel gives no
  // randomness.
  if (!fill_random(&value, sizeof value)) std::abort();
  return value;
}

char __wrap___libc_single_threaded = 0;

}  // extern "C"

#endif
