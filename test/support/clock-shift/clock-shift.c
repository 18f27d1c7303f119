/*
 * LD_PRELOAD shim: shifts a process's wall clock by an offset that a test can change while the
 * process runs, to play an NTP step, a VM restore or a failover to a host whose clock is behind.
 * Monotonic clocks are left alone, as the kernel leaves them alone on a real step.
 *
 * The offset comes from the file named by CLOCK_SHIFT_FILE: 16 bytes, a little-endian int64 of
 * milliseconds followed by its bitwise complement. The file is mapped on first use, so a rewrite in
 * place (never truncate it: the mapping would fault) is seen by the next clock read. A write is not
 * atomic for a reader, so a pair that does not match is a torn write: the last good offset holds.
 * No env, a missing or short file, or all zeros (a fresh file): offset 0.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int (*real_clock_gettime)(clockid_t, struct timespec *);
static int (*real_gettimeofday)(struct timeval *, void *);

/* NULL until mapped; (void *)-1 once we know there is nothing to map. */
static volatile int64_t *shift_words;
static int64_t last_good_offset_ms;

static void map_shift_file(void) {
  const char *path = getenv("CLOCK_SHIFT_FILE");
  int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  struct stat st;
  void *words = MAP_FAILED;
  if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size >= 16)
    words = mmap(NULL, 16, PROT_READ, MAP_SHARED, fd, 0);
  if (fd >= 0) close(fd);
  /* Threads racing here map the same file twice at worst: harmless. */
  __atomic_store_n(&shift_words, words == MAP_FAILED ? (void *)-1 : words, __ATOMIC_RELEASE);
}

static int64_t offset_ms(void) {
  volatile int64_t *words = __atomic_load_n(&shift_words, __ATOMIC_ACQUIRE);
  if (!words) {
    map_shift_file();
    words = __atomic_load_n(&shift_words, __ATOMIC_ACQUIRE);
  }
  if (words == (void *)-1) return 0;
  int64_t value = __atomic_load_n(&words[0], __ATOMIC_RELAXED);
  int64_t check = __atomic_load_n(&words[1], __ATOMIC_RELAXED);
  if (check == ~value) __atomic_store_n(&last_good_offset_ms, value, __ATOMIC_RELAXED);
  return __atomic_load_n(&last_good_offset_ms, __ATOMIC_RELAXED);
}

static void shift_timespec(struct timespec *ts) {
  int64_t ns = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec + offset_ms() * 1000000;
  ts->tv_sec = ns / 1000000000;
  ts->tv_nsec = ns % 1000000000;
  if (ts->tv_nsec < 0) {
    ts->tv_nsec += 1000000000;
    ts->tv_sec -= 1;
  }
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
  if (!real_clock_gettime) real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
  int result = real_clock_gettime(clock, ts);
  if (result == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE))
    shift_timespec(ts);
  return result;
}

/* Redis 7.0 reads TIME and key expiry through gettimeofday, not clock_gettime. */
int gettimeofday(struct timeval *tv, void *tz) {
  if (!real_gettimeofday) real_gettimeofday = dlsym(RTLD_NEXT, "gettimeofday");
  int result = real_gettimeofday(tv, tz);
  if (result == 0) {
    struct timespec ts = {tv->tv_sec, tv->tv_usec * 1000};
    shift_timespec(&ts);
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
  }
  return result;
}

time_t time(time_t *out) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return (time_t)-1;
  if (out) *out = ts.tv_sec;
  return ts.tv_sec;
}
