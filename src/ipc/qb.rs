//! libqb IPC client transport (libqb 1.0.5 … 2.0.x wire format, Linux), written from the
//! format only: no libqb is linked.
//!
//! * Setup: `SOCK_STREAM` to the abstract address `"\0<name>"` NUL-padded to the whole
//!   108-byte `sun_path` (address length 110; the short abstract form is another name),
//!   `SO_PASSCRED` during the handshake, a 24-byte connection request and a 12328-byte
//!   connection response ([`ConnResponse`]) naming the transport and its files.
//! * Shared-memory transport (the default): three ring buffers under `/dev/shm` — request,
//!   response, event — each a header file holding a glibc process-shared `sem_t` and a data
//!   file of 32-bit words. Request = chunk + `sem_post` + one byte on the setup socket;
//!   response = chunk + `sem_post` (no byte); event = chunk + `sem_post` + one byte.
//!   The semaphore is driven with atomics and `futex` following glibc's 64-bit layout
//!   ([`GlibcSem`]), so the client does not depend on the C library it is linked with.
//! * Socket transport (`PCMK_ipc_type=socket`): two abstract `SOCK_DGRAM` sockets and a
//!   24-byte shared control file of counters.
//!
//! This module moves opaque messages only; it must not interpret Pacemaker headers or XML,
//! must never block without a deadline, must never create, truncate or delete the daemon's
//! files (it maps what exists and only unmaps), and must not trust sizes read from shared
//! memory (they are bounds-checked before any copy).

use super::IpcError;
use std::ffi::CString;
use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Size of the connection request.
pub const CONN_REQUEST_LEN: usize = 24;
/// Size of `struct qb_ipc_connection_response` on 64-bit Linux.
pub const CONN_RESPONSE_LEN: usize = 12328;
/// Smallest buffer a client may ask for (libqb refuses less).
pub const MIN_MSG_SIZE: u32 = CONN_RESPONSE_LEN as u32;
const PATH_MAX: usize = 4096;
const MSG_AUTHENTICATE: i32 = -1;
const SUN_PATH_LEN: usize = 108;

/// How long one blocking slice lasts before the connection's liveness is re-checked.
const SLICE: Duration = Duration::from_millis(100);

/// The transport a daemon announced in its connection response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// `/dev/shm` ring buffers (libqb's default on Linux).
    SharedMemory,
    /// Abstract datagram sockets (`PCMK_ipc_type=socket`).
    Socket,
}

/// Credentials of the daemon process, from `SO_PEERCRED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerCredentials {
    /// Process id (in the caller's pid namespace).
    pub pid: i32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

/// The 24-byte connection request: `{id=-1, size=24, max_msg_size}` with 8-byte alignment.
pub fn encode_conn_request(max_msg_size: u32) -> [u8; CONN_REQUEST_LEN] {
    let mut b = [0u8; CONN_REQUEST_LEN];
    b[0..4].copy_from_slice(&MSG_AUTHENTICATE.to_le_bytes());
    b[8..12].copy_from_slice(&(CONN_REQUEST_LEN as i32).to_le_bytes());
    b[16..20].copy_from_slice(&max_msg_size.max(MIN_MSG_SIZE).to_le_bytes());
    b
}

/// The decoded connection response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnResponse {
    /// 0, or `-errno` when the daemon refused the connection.
    pub error: i32,
    /// 1 = shared memory, 0 = socket, 2/3 = message queues (unsupported).
    pub connection_type: i32,
    /// Negotiated maximum message size.
    pub max_msg_size: u32,
    /// SHM: request ring path prefix; socket: control file path.
    pub request: String,
    /// SHM: response ring path prefix; socket: base name of the datagram sockets.
    pub response: String,
    /// SHM: event ring path prefix.
    pub event: String,
}

fn le_i32(b: &[u8], off: usize) -> i32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[off..off + 4]);
    i32::from_le_bytes(w)
}

fn c_string_at(b: &[u8], off: usize, max: usize) -> Result<String, String> {
    let s = &b[off..off + max];
    let end = s
        .iter()
        .position(|&c| c == 0)
        .ok_or_else(|| format!("path at offset {off} is not NUL-terminated"))?;
    String::from_utf8(s[..end].to_vec()).map_err(|_| format!("path at offset {off} is not UTF-8"))
}

impl ConnResponse {
    /// Decodes the 12328-byte connection response. Pure; never panics.
    pub fn decode(b: &[u8]) -> Result<ConnResponse, String> {
        if b.len() < CONN_RESPONSE_LEN {
            return Err(format!(
                "connection response of {} bytes, expected {CONN_RESPONSE_LEN}",
                b.len()
            ));
        }
        if le_i32(b, 0) != MSG_AUTHENTICATE {
            return Err(format!("connection response id {}", le_i32(b, 0)));
        }
        let size = le_i32(b, 8);
        if size != CONN_RESPONSE_LEN as i32 {
            return Err(format!("connection response announces {size} bytes"));
        }
        Ok(ConnResponse {
            error: le_i32(b, 16),
            connection_type: le_i32(b, 24),
            max_msg_size: le_i32(b, 28) as u32,
            request: c_string_at(b, 40, PATH_MAX)?,
            response: c_string_at(b, 40 + PATH_MAX, PATH_MAX)?,
            event: c_string_at(b, 40 + 2 * PATH_MAX, PATH_MAX)?,
        })
    }
}

// ------------------------------------------------------------------ glibc semaphore

const FUTEX_WAIT: i32 = 0;
const FUTEX_WAKE: i32 = 1;
const FUTEX_PRIVATE_FLAG: i32 = 128;
const SEM_WAITER: u64 = 1 << 32;
const SEM_VALUE_MASK: u64 = 0xFFFF_FFFF;

/// A glibc (≥ 2.21, 64-bit atomics layout) `sem_t` living in shared memory:
/// `u64 data` (low half = value, high half = number of waiters), `i32 private`
/// (0 = process-private, 128 = shared). Post = increment, then `FUTEX_WAKE` if waiters;
/// wait = decrement if positive, else register as waiter and `FUTEX_WAIT` on the value word.
pub struct GlibcSem {
    data: *const AtomicU64,
    private: *const AtomicI32,
}

impl GlibcSem {
    /// # Safety
    /// `p` must be 8-aligned and point at a `sem_t` (32 bytes) that stays mapped for the
    /// lifetime of the returned value.
    pub unsafe fn at(p: *mut u8) -> GlibcSem {
        debug_assert_eq!(p as usize % 8, 0);
        GlibcSem {
            data: p as *const AtomicU64,
            private: p.add(8) as *const AtomicI32,
        }
    }

    fn data(&self) -> &AtomicU64 {
        // SAFETY: guaranteed by `at`.
        unsafe { &*self.data }
    }

    fn futex_flags(&self) -> i32 {
        // glibc: op | (FUTEX_PRIVATE_FLAG ^ private); private == 128 means a shared futex.
        // SAFETY: guaranteed by `at`.
        let private = unsafe { &*self.private }.load(Ordering::Relaxed);
        FUTEX_PRIVATE_FLAG ^ (private & FUTEX_PRIVATE_FLAG)
    }

    /// Current value (number of tokens).
    pub fn value(&self) -> u32 {
        (self.data().load(Ordering::Relaxed) & SEM_VALUE_MASK) as u32
    }

    /// `sem_post`.
    pub fn post(&self) -> io::Result<()> {
        let mut d = self.data().load(Ordering::Relaxed);
        loop {
            if d & SEM_VALUE_MASK == SEM_VALUE_MASK {
                return Err(io::Error::from_raw_os_error(libc::EOVERFLOW));
            }
            match self
                .data()
                .compare_exchange_weak(d, d + 1, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(cur) => d = cur,
            }
        }
        if d >> 32 > 0 {
            // SAFETY: futex on the low 32-bit word of a live mapping.
            unsafe {
                libc::syscall(
                    libc::SYS_futex,
                    self.data as *const u32,
                    FUTEX_WAKE | self.futex_flags(),
                    1i32,
                    std::ptr::null::<libc::timespec>(),
                    std::ptr::null::<u32>(),
                    0u32,
                );
            }
        }
        Ok(())
    }

    /// `sem_trywait`: takes a token if there is one.
    pub fn try_wait(&self) -> bool {
        let mut d = self.data().load(Ordering::Relaxed);
        loop {
            if d & SEM_VALUE_MASK == 0 {
                return false;
            }
            match self
                .data()
                .compare_exchange_weak(d, d - 1, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(cur) => d = cur,
            }
        }
    }

    /// `sem_timedwait` with a relative timeout: `Ok(true)` = got a token.
    pub fn wait(&self, timeout: Duration) -> io::Result<bool> {
        if self.try_wait() {
            return Ok(true);
        }
        if timeout.is_zero() {
            return Ok(false);
        }
        let deadline = Instant::now() + timeout;
        let mut d = self.data().fetch_add(SEM_WAITER, Ordering::Relaxed) + SEM_WAITER;
        loop {
            if d & SEM_VALUE_MASK != 0 {
                match self.data().compare_exchange_weak(
                    d,
                    d - 1 - SEM_WAITER,
                    Ordering::Acquire,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return Ok(true),
                    Err(cur) => d = cur,
                }
                continue;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.data().fetch_sub(SEM_WAITER, Ordering::Relaxed);
                return Ok(false);
            }
            let ts = libc::timespec {
                tv_sec: left.as_secs() as libc::time_t,
                tv_nsec: left.subsec_nanos() as libc::c_long,
            };
            // SAFETY: futex on the low 32-bit word of a live mapping; relative timeout.
            let rc = unsafe {
                libc::syscall(
                    libc::SYS_futex,
                    self.data as *const u32,
                    FUTEX_WAIT | self.futex_flags(),
                    0u32,
                    &ts as *const libc::timespec,
                    std::ptr::null::<u32>(),
                    0u32,
                )
            };
            if rc != 0 {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EAGAIN) | Some(libc::EINTR) | Some(libc::ETIMEDOUT) => {}
                    _ => {
                        self.data().fetch_sub(SEM_WAITER, Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
            d = self.data().load(Ordering::Relaxed);
        }
    }
}

// ------------------------------------------------------------------ ring buffers

// struct qb_ringbuffer_shared_s (offsets in the header file)
const RB_WRITE_PT: usize = 0;
const RB_READ_PT: usize = 4;
const RB_WORD_SIZE: usize = 8;
const RB_DATA_PATH: usize = 12 + PATH_MAX;
const RB_REF_COUNT: usize = RB_DATA_PATH + PATH_MAX; // 8204
const RB_SEM: usize = 8208;
const RB_USER_DATA: usize = 8240;
const RB_MIN_HEADER: usize = 8248;

const CHUNK_MAGIC: u32 = 0xA1A1_A1A1;
const CHUNK_MAGIC_DEAD: u32 = 0xD0D0_D0D0;
const CHUNK_MAGIC_ALLOC: u32 = 0xA110_CED0;
const CHUNK_HEADER_WORDS: u32 = 2;
/// Space a writer keeps free beyond the payload (libqb's `QB_RB_CHUNK_MARGIN`).
const CHUNK_MARGIN: usize = 4 * (CHUNK_HEADER_WORDS as usize + 1);

/// Word index of the chunk after a chunk of `len` bytes starting at word `ptr`.
pub fn ring_step(ptr: u32, len: u32, words: u32) -> u32 {
    let p = u64::from(ptr) + u64::from(CHUNK_HEADER_WORDS) + u64::from(len).div_ceil(4);
    (p % u64::from(words)) as u32
}

/// Free bytes in a ring with write pointer `w`, read pointer `r` and `words` words; `w == r`
/// is empty unless the semaphore holds tokens (then it is full).
pub fn ring_free_bytes(w: u32, r: u32, words: u32, sem_value: u32) -> usize {
    let free_words = if w > r {
        u64::from(r) + u64::from(words) - u64::from(w) - 1
    } else if w < r {
        u64::from(r) - u64::from(w) - 1
    } else if sem_value > 0 {
        0
    } else {
        u64::from(words)
    };
    free_words as usize * 4
}

/// Why a ring operation failed.
#[derive(Debug)]
enum RingError {
    /// Not enough space now (retry later).
    Full,
    /// The shared state is inconsistent.
    Corrupt(String),
}

/// A file mapped `MAP_SHARED` read/write; unmapped on drop.
struct Mapping {
    ptr: *mut u8,
    len: usize,
}

impl Mapping {
    /// Maps `path` whole (or its first `len` bytes); never truncates or extends it.
    fn open(path: &str, len: Option<usize>, min_len: usize) -> io::Result<Mapping> {
        let c = CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: plain syscalls on owned descriptors.
        let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd was just opened and is owned here.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: fstat into a zeroed struct.
        let mut st: libc::stat = unsafe { zeroed() };
        if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let size = usize::try_from(st.st_size).unwrap_or(0);
        let len = len.unwrap_or(size);
        if len < min_len || size < len || len == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{path}: {size} bytes, expected at least {}",
                    len.max(min_len)
                ),
            ));
        }
        // SAFETY: mapping a regular file we hold open; checked result.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping {
            ptr: p as *mut u8,
            len,
        })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what `open` mapped.
        unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
    }
}

/// Memory behind a ring: the daemon's files, or (tests) heap buffers.
enum RingMemory {
    Mapped {
        _hdr: Mapping,
        _data: Mapping,
    },
    #[cfg(test)]
    Heap {
        _hdr: Vec<u64>,
        _data: Vec<u64>,
    },
}

impl RingMemory {
    fn is_mapped(&self) -> bool {
        match self {
            RingMemory::Mapped { .. } => true,
            #[cfg(test)]
            RingMemory::Heap { .. } => false,
        }
    }
}

/// One libqb ring buffer (the client only ever opens existing ones).
struct Ring {
    hdr: *mut u8,
    hdr_len: usize,
    data: *mut u8,
    words: u32,
    memory: RingMemory,
}

impl Ring {
    /// Opens the ring named by the connection response (`…/qb-request-cib_rw`).
    fn open(name: &str) -> io::Result<Ring> {
        // libqb ≥ 1.0.5 sends absolute paths; older servers a name under /dev/shm/qb-.
        let base = if name.starts_with('/') {
            name.to_owned()
        } else {
            format!("/dev/shm/qb-{name}")
        };
        let hdr = Mapping::open(&format!("{base}-header"), None, RB_MIN_HEADER)?;
        // SAFETY: the header mapping is at least RB_MIN_HEADER bytes.
        let words =
            unsafe { &*(hdr.ptr.add(RB_WORD_SIZE) as *const AtomicU32) }.load(Ordering::Acquire);
        if !(16..=(1 << 28)).contains(&words) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{base}-header: implausible ring size of {words} words"),
            ));
        }
        let raw_path = {
            // SAFETY: within the header mapping.
            let s = unsafe { std::slice::from_raw_parts(hdr.ptr.add(RB_DATA_PATH), PATH_MAX) };
            let end = s.iter().position(|&c| c == 0).unwrap_or(0);
            String::from_utf8_lossy(&s[..end]).into_owned()
        };
        if raw_path.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{base}-header: no data path"),
            ));
        }
        let data_path = if raw_path.starts_with('/') {
            raw_path
        } else {
            format!("/dev/shm/{raw_path}")
        };
        let data = Mapping::open(&data_path, Some(words as usize * 4), words as usize * 4)?;
        let ring = Ring {
            hdr: hdr.ptr,
            hdr_len: hdr.len,
            data: data.ptr,
            words,
            memory: RingMemory::Mapped {
                _hdr: hdr,
                _data: data,
            },
        };
        ring.ref_count().fetch_add(1, Ordering::SeqCst);
        Ok(ring)
    }

    /// A ring over zeroed heap memory (unit tests), semaphore initialised as shared.
    #[cfg(test)]
    fn heap(words: u32) -> Ring {
        let mut hdr = vec![0u64; RB_USER_DATA / 8 + 2];
        let mut data = vec![0u64; (words as usize).div_ceil(2)];
        let hdr_ptr = hdr.as_mut_ptr() as *mut u8;
        // SAFETY: writing inside the freshly allocated header.
        unsafe {
            (hdr_ptr.add(RB_WORD_SIZE) as *mut u32).write(words);
            (hdr_ptr.add(RB_SEM + 8) as *mut i32).write(128);
        }
        Ring {
            hdr: hdr_ptr,
            hdr_len: hdr.len() * 8,
            data: data.as_mut_ptr() as *mut u8,
            words,
            memory: RingMemory::Heap {
                _hdr: hdr,
                _data: data,
            },
        }
    }

    fn atomic_u32(&self, off: usize) -> &AtomicU32 {
        // SAFETY: callers pass offsets inside the header (checked at open).
        unsafe { &*(self.hdr.add(off) as *const AtomicU32) }
    }

    fn ref_count(&self) -> &AtomicI32 {
        // SAFETY: inside the header.
        unsafe { &*(self.hdr.add(RB_REF_COUNT) as *const AtomicI32) }
    }

    fn sem(&self) -> GlibcSem {
        // SAFETY: the sem_t is inside the header, 8-aligned, and lives as long as `self`.
        unsafe { GlibcSem::at(self.hdr.add(RB_SEM)) }
    }

    /// The request ring's flow-control flag (0 when absent).
    fn flow_control(&self) -> i32 {
        if self.hdr_len < RB_USER_DATA + 4 {
            return 0;
        }
        // SAFETY: checked to be inside the header.
        unsafe { &*(self.hdr.add(RB_USER_DATA) as *const AtomicI32) }.load(Ordering::Acquire)
    }

    fn word(&self, idx: u32) -> &AtomicU32 {
        let i = (idx % self.words) as usize;
        // SAFETY: i < words and the data mapping holds `words` u32s.
        unsafe { &*(self.data.add(i * 4) as *const AtomicU32) }
    }

    fn total_bytes(&self) -> usize {
        self.words as usize * 4
    }

    fn copy_in(&self, start_word: u32, src: &[u8]) {
        let total = self.total_bytes();
        let off = (start_word % self.words) as usize * 4;
        let first = src.len().min(total - off);
        // SAFETY: both copies stay inside the data mapping (src.len() < total, checked by caller).
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), self.data.add(off), first);
            std::ptr::copy_nonoverlapping(src.as_ptr().add(first), self.data, src.len() - first);
        }
    }

    fn copy_out(&self, start_word: u32, len: usize) -> Vec<u8> {
        let total = self.total_bytes();
        let off = (start_word % self.words) as usize * 4;
        let first = len.min(total - off);
        let mut out = vec![0u8; len];
        // SAFETY: both copies stay inside the data mapping (len < total, checked by caller).
        unsafe {
            std::ptr::copy_nonoverlapping(self.data.add(off), out.as_mut_ptr(), first);
            std::ptr::copy_nonoverlapping(self.data, out.as_mut_ptr().add(first), len - first);
        }
        out
    }

    /// Appends one chunk and posts the semaphore (`qb_rb_chunk_write` + commit).
    fn write_chunk(&self, msg: &[u8]) -> Result<(), RingError> {
        let w = self.atomic_u32(RB_WRITE_PT).load(Ordering::Acquire);
        let r = self.atomic_u32(RB_READ_PT).load(Ordering::Acquire);
        if w >= self.words || r >= self.words {
            return Err(RingError::Corrupt(format!(
                "ring pointers out of range (write {w}, read {r}, size {})",
                self.words
            )));
        }
        if ring_free_bytes(w, r, self.words, self.sem().value()) < msg.len() + CHUNK_MARGIN {
            return Err(RingError::Full);
        }
        self.word(w).store(0, Ordering::Relaxed);
        self.word(w + 1).store(CHUNK_MAGIC_ALLOC, Ordering::Release);
        self.copy_in(w + CHUNK_HEADER_WORDS, msg);
        self.word(w).store(msg.len() as u32, Ordering::Relaxed);
        self.atomic_u32(RB_WRITE_PT).store(
            ring_step(w, msg.len() as u32, self.words),
            Ordering::Release,
        );
        self.word(w + 1).store(CHUNK_MAGIC, Ordering::Release);
        self.sem()
            .post()
            .map_err(|e| RingError::Corrupt(format!("semaphore post failed: {e}")))
    }

    /// Takes the chunk at the read pointer; the caller already holds a semaphore token.
    fn read_chunk(&self, max_len: usize) -> Result<Vec<u8>, RingError> {
        let r = self.atomic_u32(RB_READ_PT).load(Ordering::Acquire);
        if r >= self.words {
            return Err(RingError::Corrupt(format!("read pointer {r} out of range")));
        }
        let magic = self.word(r + 1).load(Ordering::Acquire);
        if magic != CHUNK_MAGIC {
            let _ = self.sem().post(); // give the token back, like libqb
            return Err(RingError::Corrupt(format!(
                "chunk at word {r} has magic {magic:#x}"
            )));
        }
        let len = self.word(r).load(Ordering::Relaxed) as usize;
        if len > max_len || len + 4 * CHUNK_HEADER_WORDS as usize > self.total_bytes() {
            return Err(RingError::Corrupt(format!(
                "chunk of {len} bytes exceeds the buffer"
            )));
        }
        let out = self.copy_out(r + CHUNK_HEADER_WORDS, len);
        self.word(r).store(0, Ordering::Relaxed);
        self.word(r + 1).store(CHUNK_MAGIC_DEAD, Ordering::Release);
        self.atomic_u32(RB_READ_PT)
            .store(ring_step(r, len as u32, self.words), Ordering::Release);
        Ok(out)
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        if self.memory.is_mapped() {
            self.ref_count().fetch_sub(1, Ordering::SeqCst);
        }
    }
}

// ------------------------------------------------------------------ sockets

fn abstract_addr(name: &str) -> io::Result<libc::sockaddr_un> {
    if name.is_empty() || name.len() > SUN_PATH_LEN - 2 || name.as_bytes().contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid abstract socket name {name:?}"),
        ));
    }
    // SAFETY: sockaddr_un is plain data.
    let mut addr: libc::sockaddr_un = unsafe { zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (i, b) in name.bytes().enumerate() {
        addr.sun_path[i + 1] = b as libc::c_char;
    }
    Ok(addr)
}

fn new_socket(kind: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; the result is owned immediately.
    let fd = unsafe { libc::socket(libc::AF_UNIX, kind | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is new and owned here.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn set_opt(fd: RawFd, level: libc::c_int, opt: libc::c_int, v: libc::c_int) -> io::Result<()> {
    // SAFETY: setsockopt with a c_int value.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            opt,
            &v as *const libc::c_int as *const libc::c_void,
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn set_timeouts(fd: RawFd, t: Duration) -> io::Result<()> {
    let tv = libc::timeval {
        tv_sec: t.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_usec: t.subsec_micros().max(1) as libc::suseconds_t,
    };
    for opt in [libc::SO_SNDTIMEO, libc::SO_RCVTIMEO] {
        // SAFETY: setsockopt with a timeval.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                &tv as *const libc::timeval as *const libc::c_void,
                size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn connect_abstract(fd: RawFd, name: &str) -> io::Result<()> {
    with_abstract_addr(fd, name, libc::connect)
}

fn bind_abstract(fd: RawFd, name: &str) -> io::Result<()> {
    with_abstract_addr(fd, name, libc::bind)
}

/// `connect(2)` or `bind(2)` on the abstract address `name`, with a full sockaddr_un
/// (length 110, as libqb binds).
fn with_abstract_addr(
    fd: RawFd,
    name: &str,
    call: unsafe extern "C" fn(libc::c_int, *const libc::sockaddr, libc::socklen_t) -> libc::c_int,
) -> io::Result<()> {
    let addr = abstract_addr(name)?;
    // SAFETY: `addr` is a fully initialised sockaddr_un that outlives the call, and the
    // length passed is its size.
    let rc = unsafe {
        call(
            fd,
            &addr as *const libc::sockaddr_un as *const libc::sockaddr,
            size_of::<libc::sockaddr_un>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Polls `fd` for `events` up to `timeout`; returns the revents (0 on timeout).
fn poll_fd(fd: RawFd, events: libc::c_short, timeout: Duration) -> io::Result<libc::c_short> {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: poll on one valid pollfd.
    let rc = unsafe { libc::poll(&mut p, 1, ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EINTR) {
            return Ok(0);
        }
        return Err(e);
    }
    Ok(if rc == 0 { 0 } else { p.revents })
}

/// True when the peer of the setup socket has gone away.
fn peer_gone(fd: RawFd) -> io::Result<bool> {
    let rev = poll_fd(fd, libc::POLLRDHUP, Duration::ZERO)?;
    Ok(rev & (libc::POLLHUP | libc::POLLRDHUP | libc::POLLERR | libc::POLLNVAL) != 0)
}

fn send_all(fd: RawFd, mut buf: &[u8], deadline: Instant) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: sending from a valid slice.
        let n = unsafe {
            libc::send(
                fd,
                buf.as_ptr() as *const libc::c_void,
                buf.len(),
                libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EAGAIN) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(io::Error::from_raw_os_error(libc::ETIMEDOUT));
                    }
                    poll_fd(fd, libc::POLLOUT, left.min(SLICE))?;
                    continue;
                }
                _ => return Err(e),
            }
        }
        buf = &buf[n as usize..];
    }
    Ok(())
}

/// Receives exactly `buf.len()` bytes before `deadline`.
fn recv_exact(fd: RawFd, buf: &mut [u8], deadline: Instant) -> io::Result<()> {
    let mut got = 0;
    while got < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::from_raw_os_error(libc::ETIMEDOUT));
        }
        if poll_fd(fd, libc::POLLIN, left)? == 0 {
            continue;
        }
        // SAFETY: receiving into the unfilled tail of `buf`.
        let n = unsafe {
            libc::recv(
                fd,
                buf[got..].as_mut_ptr() as *mut libc::c_void,
                buf.len() - got,
                libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if matches!(e.raw_os_error(), Some(libc::EINTR) | Some(libc::EAGAIN)) {
                continue;
            }
            return Err(e);
        }
        if n == 0 {
            return Err(io::Error::from_raw_os_error(libc::ECONNRESET));
        }
        got += n as usize;
    }
    Ok(())
}

fn peer_credentials(fd: RawFd) -> io::Result<ServerCredentials> {
    // SAFETY: getsockopt into a zeroed ucred.
    let mut uc: libc::ucred = unsafe { zeroed() };
    let mut len = size_of::<libc::ucred>() as libc::socklen_t;
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            &mut uc as *mut libc::ucred as *mut libc::c_void,
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ServerCredentials {
        pid: uc.pid,
        uid: uc.uid,
        gid: uc.gid,
    })
}

/// uid of user `name`, if it exists.
fn user_uid(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    // SAFETY: getpwnam_r with a caller-provided buffer.
    let mut pw: libc::passwd = unsafe { zeroed() };
    let mut buf = vec![0 as libc::c_char; 16384];
    let mut res: *mut libc::passwd = std::ptr::null_mut();
    let rc =
        unsafe { libc::getpwnam_r(c.as_ptr(), &mut pw, buf.as_mut_ptr(), buf.len(), &mut res) };
    (rc == 0 && !res.is_null()).then_some(pw.pw_uid)
}

/// gid of group `name`, if it exists.
fn group_gid(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    // SAFETY: getgrnam_r with a caller-provided buffer.
    let mut gr: libc::group = unsafe { zeroed() };
    let mut buf = vec![0 as libc::c_char; 65536];
    let mut res: *mut libc::group = std::ptr::null_mut();
    let rc =
        unsafe { libc::getgrnam_r(c.as_ptr(), &mut gr, buf.as_mut_ptr(), buf.len(), &mut res) };
    (rc == 0 && !res.is_null()).then_some(gr.gr_gid)
}

/// What `crm_ipc_connect` accepts as a daemon: root, the hacluster user or the haclient group.
fn trusted_server(c: &ServerCredentials) -> bool {
    c.uid == 0 || user_uid("hacluster") == Some(c.uid) || group_gid("haclient") == Some(c.gid)
}

/// The socket transport's 24-byte control file: `{i32 sent; i32 flow_control}` × 3.
const CONTROL_LEN: usize = 24;
const CTL_REQUEST_SENT: usize = 0;
const CTL_REQUEST_FC: usize = 4;
const CTL_RESPONSE_SENT: usize = 8;
const CTL_EVENT_SENT: usize = 16;

struct SocketTransport {
    request: OwnedFd,
    event: OwnedFd,
    control: Mapping,
}

impl SocketTransport {
    fn counter(&self, off: usize) -> &AtomicI32 {
        // SAFETY: off + 4 <= CONTROL_LEN, the mapping is CONTROL_LEN bytes.
        unsafe { &*(self.control.ptr.add(off) as *const AtomicI32) }
    }

    fn open(control_path: &str, base: &str, max_msg_size: u32) -> io::Result<SocketTransport> {
        let control = Mapping::open(control_path, Some(CONTROL_LEN), CONTROL_LEN)?;
        let dgram = |local: String, remote: String| -> io::Result<OwnedFd> {
            let s = new_socket(libc::SOCK_DGRAM)?;
            bind_abstract(s.as_raw_fd(), &local)?;
            connect_abstract(s.as_raw_fd(), &remote)?;
            let size = libc::c_int::try_from(max_msg_size).unwrap_or(libc::c_int::MAX);
            set_opt(s.as_raw_fd(), libc::SOL_SOCKET, libc::SO_SNDBUF, size)?;
            set_opt(s.as_raw_fd(), libc::SOL_SOCKET, libc::SO_RCVBUF, size)?;
            Ok(s)
        };
        let request = dgram(format!("{base}-response"), format!("{base}-request"))?;
        let event = dgram(format!("{base}-event"), format!("{base}-event-tx"))?;
        Ok(SocketTransport {
            request,
            event,
            control,
        })
    }
}

/// Receives one datagram (up to `max` bytes) if one is ready within `timeout`.
fn recv_datagram(fd: RawFd, max: usize, timeout: Duration) -> io::Result<Option<Vec<u8>>> {
    if poll_fd(fd, libc::POLLIN, timeout)? & libc::POLLIN == 0 {
        return Ok(None);
    }
    let mut buf = vec![0u8; max.max(1)];
    // SAFETY: receiving into `buf`; MSG_TRUNC reports the real size.
    let n = unsafe {
        libc::recv(
            fd,
            buf.as_mut_ptr() as *mut libc::c_void,
            buf.len(),
            libc::MSG_DONTWAIT | libc::MSG_TRUNC,
        )
    };
    if n < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(None),
            _ => Err(e),
        };
    }
    let n = n as usize;
    if n > buf.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("datagram of {n} bytes exceeds the {max}-byte buffer"),
        ));
    }
    buf.truncate(n);
    Ok(Some(buf))
}

enum Transport {
    Shm {
        request: Box<Ring>,
        response: Box<Ring>,
        event: Box<Ring>,
    },
    Socket(SocketTransport),
}

// SAFETY: the raw pointers refer to mappings owned by the transport; nothing is shared with
// other threads of this process, so moving the whole connection to another thread is sound.
unsafe impl Send for Transport {}

/// One libqb client connection (blocking, every wait bounded by a deadline).
pub struct QbConnection {
    /// Dropped by hand, first (see `Drop`).
    transport: std::mem::ManuallyDrop<Transport>,
    setup: OwnedFd,
    service: String,
    max_msg_size: u32,
    server: ServerCredentials,
    /// Event notification bytes not yet read from the setup socket (SHM).
    owed_event_bytes: usize,
}

impl QbConnection {
    /// `qb_ipcc_connect`: handshake with `service`, then open the announced transport.
    pub fn connect(
        service: &str,
        max_msg_size: u32,
        timeout: Duration,
    ) -> Result<QbConnection, IpcError> {
        let deadline = Instant::now() + timeout;
        let os = |ctx: &str, e: io::Error| IpcError::os(service, ctx, e);
        let timed_out = |what: &str| IpcError::Timeout {
            service: service.to_owned(),
            waiting_for: what.to_owned(),
            after: timeout,
        };
        abstract_addr(service).map_err(|e| IpcError::InvalidRequest {
            detail: e.to_string(),
        })?;
        let setup = new_socket(libc::SOCK_STREAM).map_err(|e| os("creating a socket", e))?;
        let fd = setup.as_raw_fd();
        set_timeouts(fd, timeout).map_err(|e| os("setting socket timeouts", e))?;
        connect_abstract(fd, service).map_err(|e| match e.raw_os_error() {
            Some(libc::EAGAIN) | Some(libc::EINPROGRESS) | Some(libc::ETIMEDOUT) => {
                timed_out("the connection")
            }
            _ => os("connect", e),
        })?;
        // Have the kernel attach our credentials to the request, as libqb does.
        set_opt(fd, libc::SOL_SOCKET, libc::SO_PASSCRED, 1).map_err(|e| os("SO_PASSCRED", e))?;
        let map_io = |what: &str, e: io::Error| match e.raw_os_error() {
            Some(libc::ETIMEDOUT) => timed_out(what),
            Some(libc::ECONNRESET) | Some(libc::EPIPE) => IpcError::Disconnected {
                service: service.to_owned(),
                during: what.to_owned(),
            },
            _ => os(what, e),
        };
        send_all(fd, &encode_conn_request(max_msg_size), deadline)
            .map_err(|e| map_io("the connection request", e))?;
        let mut buf = vec![0u8; CONN_RESPONSE_LEN];
        recv_exact(fd, &mut buf, deadline).map_err(|e| map_io("the connection response", e))?;
        set_opt(fd, libc::SOL_SOCKET, libc::SO_PASSCRED, 0).map_err(|e| os("SO_PASSCRED", e))?;
        let resp = ConnResponse::decode(&buf).map_err(|e| IpcError::protocol(service, e))?;
        if resp.error != 0 {
            let errno = -resp.error;
            let detail = io::Error::from_raw_os_error(errno).to_string();
            return Err(match errno {
                libc::EACCES => IpcError::PermissionDenied {
                    service: service.to_owned(),
                    detail: format!("connection refused by the daemon: {detail}"),
                },
                _ => IpcError::Unavailable {
                    service: service.to_owned(),
                    detail,
                },
            });
        }
        let server = peer_credentials(fd).map_err(|e| os("SO_PEERCRED", e))?;
        if !trusted_server(&server) {
            return Err(IpcError::UntrustedPeer {
                service: service.to_owned(),
                pid: server.pid,
                uid: server.uid,
                gid: server.gid,
            });
        }
        let max = resp.max_msg_size;
        if max < MIN_MSG_SIZE {
            return Err(IpcError::protocol(
                service,
                format!("negotiated buffer of {max} bytes"),
            ));
        }
        let open_err = |what: &str, path: &str, e: io::Error| match e.raw_os_error() {
            Some(libc::EACCES) | Some(libc::EPERM) => IpcError::PermissionDenied {
                service: service.to_owned(),
                detail: format!("cannot open {what} {path}: {e}"),
            },
            Some(libc::ENOENT) => IpcError::Disconnected {
                service: service.to_owned(),
                during: format!("connection setup ({path} vanished)"),
            },
            _ => IpcError::Io {
                service: service.to_owned(),
                context: format!("opening {what} {path}"),
                source: e,
            },
        };
        let transport = match resp.connection_type {
            1 => {
                let ring = |p: &str| {
                    Ring::open(p)
                        .map(Box::new)
                        .map_err(|e| open_err("ring buffer", p, e))
                };
                Transport::Shm {
                    request: ring(&resp.request)?,
                    response: ring(&resp.response)?,
                    event: ring(&resp.event)?,
                }
            }
            0 => Transport::Socket(
                SocketTransport::open(&resp.request, &resp.response, max)
                    .map_err(|e| open_err("socket transport", &resp.response, e))?,
            ),
            t => {
                return Err(IpcError::VersionMismatch {
                    service: service.to_owned(),
                    detail: format!("libqb transport type {t} (message queues) is not supported"),
                })
            }
        };
        Ok(QbConnection {
            transport: std::mem::ManuallyDrop::new(transport),
            setup,
            service: service.to_owned(),
            max_msg_size: max,
            server,
            owed_event_bytes: 0,
        })
    }

    /// Endpoint name.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Negotiated maximum message size.
    pub fn max_msg_size(&self) -> u32 {
        self.max_msg_size
    }

    /// The daemon's credentials.
    pub fn server_credentials(&self) -> ServerCredentials {
        self.server
    }

    /// The transport in use.
    pub fn transport(&self) -> TransportKind {
        match *self.transport {
            Transport::Shm { .. } => TransportKind::SharedMemory,
            Transport::Socket(_) => TransportKind::Socket,
        }
    }

    fn disconnected(&self, during: &str) -> IpcError {
        IpcError::Disconnected {
            service: self.service.clone(),
            during: during.to_owned(),
        }
    }

    fn timeout(&self, what: &str, deadline: Instant, started: Instant) -> IpcError {
        IpcError::Timeout {
            service: self.service.clone(),
            waiting_for: what.to_owned(),
            after: deadline.saturating_duration_since(started),
        }
    }

    fn ring_error(&self, e: RingError) -> IpcError {
        match e {
            RingError::Full => IpcError::protocol(&self.service, "ring buffer full"),
            RingError::Corrupt(d) => IpcError::protocol(&self.service, d),
        }
    }

    fn check_alive(&self, during: &str) -> Result<(), IpcError> {
        match peer_gone(self.setup.as_raw_fd()) {
            Ok(false) => Ok(()),
            Ok(true) => Err(self.disconnected(during)),
            Err(e) => Err(IpcError::os(&self.service, during, e)),
        }
    }

    /// `qb_ipcc_send`: one message, retried while the daemon applies flow control or the
    /// ring is full, until `deadline`.
    pub fn send(&mut self, msg: &[u8], deadline: Instant) -> Result<(), IpcError> {
        let started = Instant::now();
        if msg.len() > self.max_msg_size as usize {
            return Err(IpcError::TooLarge {
                service: self.service.clone(),
                detail: format!("{} bytes, limit {}", msg.len(), self.max_msg_size),
            });
        }
        loop {
            let sent = match &*self.transport {
                Transport::Shm { request, .. } => {
                    let fc = request.flow_control();
                    if fc > 0 && fc <= 1 {
                        false
                    } else {
                        match request.write_chunk(msg) {
                            Ok(()) => true,
                            Err(RingError::Full) => false,
                            Err(e) => return Err(self.ring_error(e)),
                        }
                    }
                }
                Transport::Socket(s) => {
                    let fc = s.counter(CTL_REQUEST_FC).load(Ordering::Acquire);
                    if fc > 0 && fc <= 1 {
                        false
                    } else {
                        // SAFETY: sending one datagram from a valid slice.
                        let n = unsafe {
                            libc::send(
                                s.request.as_raw_fd(),
                                msg.as_ptr() as *const libc::c_void,
                                msg.len(),
                                libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
                            )
                        };
                        if n >= 0 {
                            s.counter(CTL_REQUEST_SENT).fetch_add(1, Ordering::SeqCst);
                            true
                        } else {
                            let e = io::Error::last_os_error();
                            match e.raw_os_error() {
                                Some(libc::EAGAIN) | Some(libc::ENOBUFS) | Some(libc::EINTR) => {
                                    false
                                }
                                _ => return Err(IpcError::os(&self.service, "sending", e)),
                            }
                        }
                    }
                }
            };
            if sent {
                break;
            }
            self.check_alive("sending a request")?;
            if Instant::now() >= deadline {
                return Err(self.timeout("room to send a request", deadline, started));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if let Transport::Shm { .. } = *self.transport {
            // one notification byte per request chunk, after the semaphore post
            send_all(self.setup.as_raw_fd(), b"~", deadline).map_err(|e| {
                match e.raw_os_error() {
                    Some(libc::ETIMEDOUT) => self.timeout("sending a request", deadline, started),
                    _ => IpcError::os(&self.service, "sending a request", e),
                }
            })?;
        }
        Ok(())
    }

    /// `qb_ipcc_recv` on the response channel: `Ok(None)` when `deadline` passes.
    pub fn recv_response(&mut self, deadline: Instant) -> Result<Option<Vec<u8>>, IpcError> {
        let max = self.max_msg_size as usize;
        loop {
            let slice = deadline
                .saturating_duration_since(Instant::now())
                .min(SLICE);
            match &*self.transport {
                Transport::Shm { response, .. } => {
                    let got = response
                        .sem()
                        .wait(slice)
                        .map_err(|e| IpcError::os(&self.service, "waiting for a response", e))?;
                    if got {
                        return response
                            .read_chunk(max)
                            .map(Some)
                            .map_err(|e| self.ring_error(e));
                    }
                    if peer_gone(self.setup.as_raw_fd()).unwrap_or(true) {
                        // a response may have been posted just before the daemon went away
                        if response.sem().try_wait() {
                            return response
                                .read_chunk(max)
                                .map(Some)
                                .map_err(|e| self.ring_error(e));
                        }
                        return Err(self.disconnected("a request"));
                    }
                }
                Transport::Socket(s) => {
                    let got = recv_datagram(s.request.as_raw_fd(), max, slice)
                        .map_err(|e| IpcError::os(&self.service, "receiving a response", e))?;
                    if let Some(m) = got {
                        s.counter(CTL_RESPONSE_SENT).fetch_sub(1, Ordering::SeqCst);
                        return Ok(Some(m));
                    }
                    self.check_alive("a request")?;
                }
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }

    /// Reads notification bytes owed for events already taken from the ring (non-blocking).
    fn drain_owed_bytes(&mut self) {
        while self.owed_event_bytes > 0 {
            let mut b = [0u8; 64];
            let want = self.owed_event_bytes.min(b.len());
            // SAFETY: non-blocking receive into a stack buffer.
            let n = unsafe {
                libc::recv(
                    self.setup.as_raw_fd(),
                    b.as_mut_ptr() as *mut libc::c_void,
                    want,
                    libc::MSG_DONTWAIT,
                )
            };
            if n <= 0 {
                return; // not there yet (or EOF, noticed on the next wait)
            }
            self.owed_event_bytes -= n as usize;
        }
    }

    /// `qb_ipcc_event_recv`: the next event, or `Ok(None)` when `deadline` passes.
    pub fn recv_event(&mut self, deadline: Instant) -> Result<Option<Vec<u8>>, IpcError> {
        let max = self.max_msg_size as usize;
        loop {
            let slice = deadline
                .saturating_duration_since(Instant::now())
                .min(SLICE);
            match &*self.transport {
                Transport::Shm { event, .. } => {
                    if event.sem().try_wait() {
                        let chunk = event.read_chunk(max).map_err(|e| self.ring_error(e))?;
                        self.owed_event_bytes += 1;
                        self.drain_owed_bytes();
                        return Ok(Some(chunk));
                    }
                    if Instant::now() >= deadline {
                        return Ok(None);
                    }
                    let fd = self.setup.as_raw_fd();
                    let rev = poll_fd(fd, libc::POLLIN, slice)
                        .map_err(|e| IpcError::os(&self.service, "waiting for an event", e))?;
                    if rev == 0 {
                        continue;
                    }
                    if event.sem().try_wait() {
                        let chunk = event.read_chunk(max).map_err(|e| self.ring_error(e))?;
                        self.owed_event_bytes += 1;
                        self.drain_owed_bytes();
                        return Ok(Some(chunk));
                    }
                    // Readable but no chunk: bytes we owe, a stray byte, or end of file.
                    let mut b = [0u8; 64];
                    // SAFETY: non-blocking receive into a stack buffer.
                    let n = unsafe {
                        libc::recv(
                            fd,
                            b.as_mut_ptr() as *mut libc::c_void,
                            b.len(),
                            libc::MSG_DONTWAIT,
                        )
                    };
                    if n == 0
                        || rev & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 && n < 0
                    {
                        return Err(self.disconnected("waiting for an event"));
                    }
                    if n > 0 {
                        self.owed_event_bytes = self.owed_event_bytes.saturating_sub(n as usize);
                    }
                }
                Transport::Socket(s) => {
                    let got = recv_datagram(s.event.as_raw_fd(), max, slice)
                        .map_err(|e| IpcError::os(&self.service, "receiving an event", e))?;
                    if let Some(m) = got {
                        s.counter(CTL_EVENT_SENT).fetch_sub(1, Ordering::SeqCst);
                        return Ok(Some(m));
                    }
                    self.check_alive("waiting for an event")?;
                    if Instant::now() >= deadline {
                        return Ok(None);
                    }
                }
            }
        }
    }
}

impl Drop for QbConnection {
    fn drop(&mut self) {
        // The rings are unmapped before the daemon hears that we are gone: the daemon then
        // holds the last reference to their files and frees them (its work on a disconnect
        // anyway), instead of this short-lived client, a twentieth of an agent monitor's CPU.
        // SAFETY: dropped exactly once, here, and never used again.
        unsafe { std::mem::ManuallyDrop::drop(&mut self.transport) };
        // SAFETY: shutting down our own socket; the fd is closed when `setup` drops.
        unsafe { libc::shutdown(self.setup.as_raw_fd(), libc::SHUT_RDWR) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conn_request_bytes_match_cibadmin() {
        // seen on the wire from cibadmin (512 KiB buffer)
        let want = [
            0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0, 0, 0, 0,
            0,
        ];
        assert_eq!(encode_conn_request(512 * 1024), want);
        // too small a request is raised to libqb's minimum
        assert_eq!(
            &encode_conn_request(10)[16..20],
            &MIN_MSG_SIZE.to_le_bytes()
        );
    }

    fn response(error: i32, kind: i32, max: u32, paths: [&str; 3]) -> Vec<u8> {
        let mut b = vec![0u8; CONN_RESPONSE_LEN];
        b[0..4].copy_from_slice(&(-1i32).to_le_bytes());
        b[8..12].copy_from_slice(&(CONN_RESPONSE_LEN as i32).to_le_bytes());
        b[16..20].copy_from_slice(&error.to_le_bytes());
        b[24..28].copy_from_slice(&kind.to_le_bytes());
        b[28..32].copy_from_slice(&max.to_le_bytes());
        for (i, p) in paths.iter().enumerate() {
            let off = 40 + i * PATH_MAX;
            b[off..off + p.len()].copy_from_slice(p.as_bytes());
        }
        b
    }

    #[test]
    fn conn_response_decoding() {
        let b = response(
            0,
            1,
            0x80000,
            [
                "/dev/shm/qb-32-104-12-phDekY/qb-request-cib_rw",
                "/dev/shm/qb-32-104-12-phDekY/qb-response-cib_rw",
                "/dev/shm/qb-32-104-12-phDekY/qb-event-cib_rw",
            ],
        );
        let r = ConnResponse::decode(&b).unwrap();
        assert_eq!(r.error, 0);
        assert_eq!(r.connection_type, 1);
        assert_eq!(r.max_msg_size, 0x80000);
        assert_eq!(r.request, "/dev/shm/qb-32-104-12-phDekY/qb-request-cib_rw");
        assert_eq!(r.event, "/dev/shm/qb-32-104-12-phDekY/qb-event-cib_rw");
        let r = ConnResponse::decode(&response(-libc::EPERM, 0, 0, ["", "", ""])).unwrap();
        assert_eq!(r.error, -libc::EPERM);
    }

    #[test]
    fn conn_response_garbage() {
        let good = response(0, 1, 131072, ["a", "b", "c"]);
        for n in [0, 1, 40, 12327] {
            assert!(ConnResponse::decode(&good[..n]).is_err());
        }
        let mut b = good.clone();
        b[0] = 0;
        assert!(ConnResponse::decode(&b).is_err());
        let mut b = good.clone();
        b[40..40 + PATH_MAX].fill(b'x'); // unterminated path
        assert!(ConnResponse::decode(&b).is_err());
        let mut b = good;
        b[8] = 0;
        assert!(ConnResponse::decode(&b).is_err());
    }

    #[test]
    fn ring_arithmetic() {
        assert_eq!(ring_step(0, 0, 100), 2);
        assert_eq!(ring_step(0, 1, 100), 3);
        assert_eq!(ring_step(0, 4, 100), 3);
        assert_eq!(ring_step(0, 5, 100), 4);
        assert_eq!(ring_step(97, 4, 100), 0);
        assert_eq!(ring_step(98, 8, 100), 2);
        assert_eq!(ring_step(u32::MAX - 1, u32::MAX, 7), {
            let p = (u32::MAX - 1) as u64 + 2 + (u32::MAX as u64).div_ceil(4);
            (p % 7) as u32
        });
        assert_eq!(ring_free_bytes(5, 5, 100, 0), 400);
        assert_eq!(ring_free_bytes(5, 5, 100, 1), 0);
        assert_eq!(ring_free_bytes(10, 5, 100, 0), (5 + 100 - 10 - 1) * 4);
        assert_eq!(ring_free_bytes(5, 10, 100, 0), 4 * 4);
    }

    #[test]
    fn ring_roundtrip_with_wraparound() {
        let ring = Ring::heap(64); // 256 bytes
        let mut sent = 0u32;
        for round in 0..200u32 {
            let len = (round * 7) % 90 + 1;
            let msg: Vec<u8> = (0..len).map(|i| (i + round) as u8).collect();
            ring.write_chunk(&msg).unwrap();
            assert_eq!(ring.sem().value(), 1);
            assert!(ring.sem().wait(Duration::from_millis(10)).unwrap());
            let got = ring.read_chunk(4096).unwrap();
            assert_eq!(got, msg, "round {round}");
            sent += len;
        }
        assert!(sent > 256 * 10, "wrapped several times");
    }

    #[test]
    fn ring_full_and_corrupt() {
        let ring = Ring::heap(32); // 128 bytes
        ring.write_chunk(&[1u8; 60]).unwrap();
        assert!(matches!(ring.write_chunk(&[2u8; 60]), Err(RingError::Full)));
        assert!(ring.sem().try_wait());
        // corrupt the length word: must be refused, not copied
        let r = ring.atomic_u32(RB_READ_PT).load(Ordering::Relaxed);
        ring.word(r).store(1_000_000, Ordering::Relaxed);
        assert!(matches!(ring.read_chunk(4096), Err(RingError::Corrupt(_))));
        // bad magic gives the token back
        ring.word(r + 1).store(0xdead_beef, Ordering::Relaxed);
        assert!(matches!(ring.read_chunk(4096), Err(RingError::Corrupt(_))));
        assert_eq!(ring.sem().value(), 1);
        // read pointer out of range
        ring.atomic_u32(RB_READ_PT).store(9999, Ordering::Relaxed);
        assert!(matches!(ring.read_chunk(4096), Err(RingError::Corrupt(_))));
    }

    #[test]
    fn semaphore_timeout_and_cross_thread_wake() {
        let ring = Ring::heap(64);
        let t0 = Instant::now();
        assert!(!ring.sem().wait(Duration::from_millis(50)).unwrap());
        assert!(t0.elapsed() >= Duration::from_millis(45));
        assert_eq!(ring.sem().value(), 0);
        let sem_addr = ring.hdr as usize + RB_SEM;
        let h = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            // SAFETY: the ring outlives this thread (joined below).
            unsafe { GlibcSem::at(sem_addr as *mut u8) }.post().unwrap();
        });
        assert!(ring.sem().wait(Duration::from_secs(5)).unwrap());
        h.join().unwrap();
        // waiter count is back to zero
        // SAFETY: reading the sem's 64-bit word inside the header.
        let d = unsafe { &*(ring.hdr.add(RB_SEM) as *const AtomicU64) }.load(Ordering::Relaxed);
        assert_eq!(d, 0);
    }

    /// Our futex protocol interoperates with glibc's own sem_* on the same memory.
    #[cfg(all(target_env = "gnu", target_arch = "x86_64"))]
    #[test]
    fn semaphore_is_glibc_compatible() {
        let mut mem = vec![0u64; 4];
        let p = mem.as_mut_ptr() as *mut u8;
        // SAFETY: 32 bytes of 8-aligned memory are a valid sem_t.
        unsafe {
            assert_eq!(libc::sem_init(p as *mut libc::sem_t, 1, 0), 0);
            let s = GlibcSem::at(p);
            s.post().unwrap();
            s.post().unwrap();
            let mut v = 0;
            libc::sem_getvalue(p as *mut libc::sem_t, &mut v);
            assert_eq!(v, 2);
            assert_eq!(libc::sem_trywait(p as *mut libc::sem_t), 0);
            assert!(s.try_wait());
            assert!(!s.try_wait());
            libc::sem_post(p as *mut libc::sem_t);
            assert_eq!(s.value(), 1);
            assert!(s.wait(Duration::from_millis(1)).unwrap());
            libc::sem_destroy(p as *mut libc::sem_t);
        }
    }

    #[test]
    fn abstract_names() {
        assert!(abstract_addr("cib_rw").is_ok());
        assert!(abstract_addr("").is_err());
        assert!(abstract_addr(&"x".repeat(107)).is_err());
        assert!(abstract_addr("a\0b").is_err());
        let a = abstract_addr("attrd").unwrap();
        assert_eq!(a.sun_path[0], 0);
        assert_eq!(a.sun_path[1], b'a' as libc::c_char);
        assert!(a.sun_path[6..].iter().all(|&c| c == 0));
    }

    #[test]
    fn refused_when_nobody_listens() {
        let name = format!("pgcrm-test-nobody-{}", std::process::id());
        match QbConnection::connect(&name, 131072, Duration::from_secs(1)) {
            Err(IpcError::NotRunning { service }) => assert_eq!(service, name),
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("connected to nothing"),
        }
    }
}
