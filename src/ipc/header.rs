//! Pacemaker's IPC message framing (2.1.x layout): the 40-byte `pcmk__ipc_header_t`
//! followed by NUL-terminated XML text, bzip2-compressed when the message would not fit the
//! negotiated buffer.
//!
//! Everything here is pure: [`encode`] builds the bytes of one request, [`decode`] turns the
//! bytes of one received message into a [`Message`]. Both are total functions over their input:
//! `decode` must never panic, whatever the bytes (it is the fuzz target for the frame layer),
//! and allocates at most [`MAX_UNCOMPRESSED`] bytes for a compressed payload.
//!
//! This module must not do I/O and must not build a header anywhere else: a header whose
//! `size_uncompressed` does not count the trailing NUL aborts the daemon that reads it
//! (`CRM_ASSERT` in `ipc_server.c`), so [`encode`] is the only producer of request bytes.

use std::io::{Read, Write};

/// Size of `pcmk__ipc_header_t` (libqb's 24-byte header plus Pacemaker's fields, padded).
pub const HEADER_LEN: usize = 40;

/// `PCMK__IPC_VERSION` of Pacemaker 2.1.x (and, unfortunately, of 3.0.1+ too).
pub const IPC_VERSION: u8 = 1;

/// Largest decompressed payload this client accepts (a 256 MiB CIB is far beyond any real one).
pub const MAX_UNCOMPRESSED: u32 = 256 * 1024 * 1024;

/// bzip2 block size Pacemaker uses (`CRM_BZ2_BLOCKS`).
const BZ2_BLOCKS: u32 = 4;

/// Header flags (`enum crm_ipc_flags`).
pub mod flags {
    /// The payload is a bzip2 stream.
    pub const COMPRESSED: u32 = 0x0000_0001;
    /// Remote-node proxy message: never set by this client.
    pub const PROXIED: u32 = 0x0000_0100;
    /// The client waits for a response; daemons only send responses/acks when it is set.
    pub const CLIENT_RESPONSE: u32 = 0x0000_0200;
    /// Set by daemons on events.
    pub const SERVER_EVENT: u32 = 0x0001_0000;
    /// Set by daemons (internal bookkeeping), seen on received messages.
    pub const SERVER_FREE: u32 = 0x0002_0000;
    /// Pacemaker 3.0.1+: part of a multipart message (not supported by this layout).
    pub const MULTIPART: u32 = 1 << 19;
    /// Pacemaker 3.0.1+: last part of a multipart message.
    pub const MULTIPART_END: u32 = 1 << 20;
}

/// Why received bytes are not a valid Pacemaker 2.1 message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes than the header or than the sizes it announces.
    #[error("truncated message: {need} bytes needed, {have} received")]
    Truncated {
        /// Bytes the header says are needed.
        need: usize,
        /// Bytes actually received.
        have: usize,
    },
    /// A size field is inconsistent (negative, smaller than the header, over the limit).
    #[error("invalid size field: {0}")]
    BadSize(String),
    /// The header has the Pacemaker 3.0.1+ layout (version byte at offset 32).
    #[error("message uses the Pacemaker 3.0.1+ IPC header layout")]
    NewerLayout,
    /// The version byte is neither 2.1's nor 3.0.1's.
    #[error("unknown IPC header version {0}")]
    UnknownVersion(u8),
    /// The bzip2 payload does not decompress to the announced size.
    #[error("compressed payload is corrupt: {0}")]
    Decompress(String),
    /// The text does not end with the NUL Pacemaker requires.
    #[error("payload text is not NUL-terminated")]
    MissingNul,
    /// The text is not UTF-8 (libxml2 always emits UTF-8).
    #[error("payload text is not valid UTF-8")]
    NotUtf8,
}

/// Why a request cannot be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// XML text containing a NUL byte would be silently truncated by the daemon.
    #[error("request text contains a NUL byte")]
    ContainsNul,
    /// Even compressed, the request does not fit the connection's buffer.
    #[error(
        "request of {size} bytes ({compressed} compressed) exceeds the IPC buffer of {limit} bytes"
    )]
    TooLarge {
        /// Uncompressed size including the NUL.
        size: usize,
        /// Compressed size.
        compressed: usize,
        /// Negotiated maximum message size.
        limit: usize,
    },
    /// The bzip2 encoder failed (out of memory).
    #[error("bzip2 compression failed: {0}")]
    Compress(#[from] std::io::Error),
}

/// The 40-byte header, decoded (2.1.x layout; offsets in the field docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// `qb.id` @0: request id; responses echo it; events carry the daemon's counter.
    pub id: i32,
    /// `qb.size` @8: total message bytes (header + payload as sent).
    pub size: i32,
    /// `qb.error` @16: always 0 in practice.
    pub error: i32,
    /// @24: length of the XML text including its trailing NUL.
    pub size_uncompressed: u32,
    /// @28: length of the bzip2 payload, 0 when not compressed.
    pub size_compressed: u32,
    /// @32: [`flags`].
    pub flags: u32,
    /// @36: [`IPC_VERSION`].
    pub version: u8,
}

fn le_u32(b: &[u8], off: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[off..off + 4]);
    u32::from_le_bytes(w)
}

impl Header {
    /// Decodes the first [`HEADER_LEN`] bytes; checks only the layout/version, not the sizes.
    pub fn decode(buf: &[u8]) -> Result<Header, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::Truncated {
                need: HEADER_LEN,
                have: buf.len(),
            });
        }
        let version = buf[36];
        if version != IPC_VERSION {
            // 3.0.1+: {size u32 @24, flags u32 @28, version u8 @32, part_id u16 @34}, @36 unused.
            if version == 0 && buf[32] == IPC_VERSION {
                return Err(DecodeError::NewerLayout);
            }
            return Err(DecodeError::UnknownVersion(version));
        }
        Ok(Header {
            id: le_u32(buf, 0) as i32,
            size: le_u32(buf, 8) as i32,
            error: le_u32(buf, 16) as i32,
            size_uncompressed: le_u32(buf, 24),
            size_compressed: le_u32(buf, 28),
            flags: le_u32(buf, 32),
            version,
        })
    }

    /// The 40 header bytes, padding zeroed as Pacemaker's `calloc` leaves it.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..4].copy_from_slice(&self.id.to_le_bytes());
        b[8..12].copy_from_slice(&self.size.to_le_bytes());
        b[16..20].copy_from_slice(&self.error.to_le_bytes());
        b[24..28].copy_from_slice(&self.size_uncompressed.to_le_bytes());
        b[28..32].copy_from_slice(&self.size_compressed.to_le_bytes());
        b[32..36].copy_from_slice(&self.flags.to_le_bytes());
        b[36] = self.version;
        b
    }

    /// Whether the daemon sent this message on the event channel.
    pub fn is_event(&self) -> bool {
        self.flags & flags::SERVER_EVENT != 0
    }
}

/// One decoded message: its header and its XML text (without the NUL, decompressed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The header as received.
    pub header: Header,
    /// The XML text.
    pub xml: String,
}

/// Decodes one received message (header + payload). Never panics.
pub fn decode(buf: &[u8]) -> Result<Message, DecodeError> {
    let header = Header::decode(buf)?;
    let size = usize::try_from(header.size)
        .map_err(|_| DecodeError::BadSize(format!("qb.size {} is negative", header.size)))?;
    if size < HEADER_LEN {
        return Err(DecodeError::BadSize(format!(
            "qb.size {size} is smaller than the header"
        )));
    }
    if size > buf.len() {
        return Err(DecodeError::Truncated {
            need: size,
            have: buf.len(),
        });
    }
    let payload = &buf[HEADER_LEN..size];
    if header.size_uncompressed > MAX_UNCOMPRESSED {
        return Err(DecodeError::BadSize(format!(
            "size_uncompressed {} exceeds {MAX_UNCOMPRESSED}",
            header.size_uncompressed
        )));
    }
    let size_u = header.size_uncompressed as usize;
    let text: std::borrow::Cow<'_, [u8]> =
        if header.size_compressed > 0 || header.flags & flags::COMPRESSED != 0 {
            let size_c = header.size_compressed as usize;
            if size_c == 0 {
                return Err(DecodeError::BadSize(
                    "compressed flag set but size_compressed is 0".into(),
                ));
            }
            if size_c > payload.len() {
                return Err(DecodeError::Truncated {
                    need: HEADER_LEN + size_c,
                    have: buf.len(),
                });
            }
            std::borrow::Cow::Owned(decompress(&payload[..size_c], size_u)?)
        } else {
            if size_u > payload.len() {
                return Err(DecodeError::Truncated {
                    need: HEADER_LEN + size_u,
                    have: buf.len(),
                });
            }
            std::borrow::Cow::Borrowed(&payload[..size_u])
        };
    let nul = text
        .iter()
        .position(|&b| b == 0)
        .ok_or(DecodeError::MissingNul)?;
    let xml = std::str::from_utf8(&text[..nul]).map_err(|_| DecodeError::NotUtf8)?;
    Ok(Message {
        header,
        xml: xml.to_owned(),
    })
}

/// Decompresses a bzip2 stream that must yield exactly `size_u` bytes (bounded allocation).
fn decompress(data: &[u8], size_u: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(size_u.min(16 * 1024 * 1024));
    let mut dec = bzip2::read::BzDecoder::new(data).take(size_u as u64 + 1);
    dec.read_to_end(&mut out)
        .map_err(|e| DecodeError::Decompress(e.to_string()))?;
    if out.len() != size_u {
        return Err(DecodeError::Decompress(format!(
            "{} bytes decompressed, header announced {size_u}",
            out.len()
        )));
    }
    Ok(out)
}

/// Builds one request: header + NUL-terminated `xml`, compressed with bzip2 when
/// `40 + text` would reach `max_send` (what Pacemaker 2.1's `pcmk__ipc_prepare_iov` does).
pub fn encode(id: i32, msg_flags: u32, xml: &str, max_send: u32) -> Result<Vec<u8>, EncodeError> {
    if xml.as_bytes().contains(&0) {
        return Err(EncodeError::ContainsNul);
    }
    let limit = max_send as usize;
    let size_u = xml.len() + 1;
    let too_large = |compressed| EncodeError::TooLarge {
        size: size_u,
        compressed,
        limit,
    };
    if size_u > MAX_UNCOMPRESSED as usize {
        return Err(too_large(0));
    }
    let mut header = Header {
        id,
        size: 0,
        error: 0,
        size_uncompressed: size_u as u32,
        size_compressed: 0,
        flags: msg_flags & !flags::COMPRESSED,
        version: IPC_VERSION,
    };
    let mut out;
    if HEADER_LEN + size_u < limit {
        out = Vec::with_capacity(HEADER_LEN + size_u);
        out.extend_from_slice(&[0u8; HEADER_LEN]);
        out.extend_from_slice(xml.as_bytes());
        out.push(0);
    } else {
        let mut enc = bzip2::write::BzEncoder::new(
            Vec::with_capacity(size_u / 8),
            bzip2::Compression::new(BZ2_BLOCKS),
        );
        enc.write_all(xml.as_bytes())?;
        enc.write_all(&[0])?;
        let compressed = enc.finish()?;
        if HEADER_LEN + compressed.len() > limit {
            return Err(too_large(compressed.len()));
        }
        header.size_compressed = compressed.len() as u32;
        header.flags |= flags::COMPRESSED;
        out = Vec::with_capacity(HEADER_LEN + compressed.len());
        out.extend_from_slice(&[0u8; HEADER_LEN]);
        out.extend_from_slice(&compressed);
    }
    header.size = out.len() as i32;
    out[..HEADER_LEN].copy_from_slice(&header.encode());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes captured from `attrd_updater -Q` (research notes, socket mode).
    fn captured_attrd_query() -> Vec<u8> {
        let xml = r#"<create_attrd_op t="attrd" src="attrd_updater" attr_name="master-pgsql" task="query" attr_host="node1"/>"#;
        let mut b = vec![
            0x01, 0, 0, 0, 0, 0, 0, 0, 0x91, 0, 0, 0, 0, 0, 0, 0, //
            0, 0, 0, 0, 0, 0, 0, 0, 0x69, 0, 0, 0, 0, 0, 0, 0, //
            0x00, 0x02, 0, 0, 0x01, 0, 0, 0,
        ];
        b.extend_from_slice(xml.as_bytes());
        b.push(0);
        b
    }

    #[test]
    fn encode_matches_the_stock_tool_bytes() {
        let xml = r#"<create_attrd_op t="attrd" src="attrd_updater" attr_name="master-pgsql" task="query" attr_host="node1"/>"#;
        let got = encode(1, flags::CLIENT_RESPONSE, xml, 131072).unwrap();
        assert_eq!(got, captured_attrd_query());
    }

    #[test]
    fn decode_captured_message() {
        let m = decode(&captured_attrd_query()).unwrap();
        assert_eq!(m.header.id, 1);
        assert_eq!(m.header.size, 145);
        assert_eq!(m.header.size_uncompressed, 105);
        assert_eq!(m.header.flags, flags::CLIENT_RESPONSE);
        assert!(m.xml.starts_with("<create_attrd_op ") && m.xml.ends_with("/>"));
    }

    #[test]
    fn size_uncompressed_counts_the_nul() {
        let b = encode(7, 0, "<a/>", 131072).unwrap();
        assert_eq!(b.len(), HEADER_LEN + 5);
        assert_eq!(le_u32(&b, 24), 5);
        assert_eq!(*b.last().unwrap(), 0);
        assert_eq!(le_u32(&b, 8) as usize, b.len());
    }

    #[test]
    fn roundtrip_compressed_when_too_big() {
        let big = format!("<cib>{}</cib>", "<x a=\"1\"/>".repeat(20_000));
        let b = encode(3, flags::CLIENT_RESPONSE, &big, 131072).unwrap();
        let h = Header::decode(&b).unwrap();
        assert!(h.flags & flags::COMPRESSED != 0);
        assert_eq!(h.size_uncompressed as usize, big.len() + 1);
        assert_eq!(h.size_compressed as usize, b.len() - HEADER_LEN);
        assert!(b.len() < 131072);
        assert_eq!(decode(&b).unwrap().xml, big);
        // same text on a bigger buffer goes uncompressed
        let b = encode(3, 0, &big, 1 << 20).unwrap();
        assert_eq!(Header::decode(&b).unwrap().size_compressed, 0);
        assert_eq!(decode(&b).unwrap().xml, big);
    }

    #[test]
    fn too_large_even_compressed() {
        // incompressible-ish text: a pseudo-random sequence of letters
        let mut s = String::from("<a v=\"");
        let mut x: u32 = 12345;
        for _ in 0..200_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            s.push((b'a' + ((x >> 16) % 26) as u8) as char);
        }
        s.push_str("\"/>");
        assert!(matches!(
            encode(1, 0, &s, 20_000),
            Err(EncodeError::TooLarge { .. })
        ));
    }

    #[test]
    fn nul_in_text_is_refused() {
        assert!(matches!(
            encode(1, 0, "<a>\0</a>", 131072),
            Err(EncodeError::ContainsNul)
        ));
    }

    #[test]
    fn newer_layout_is_reported() {
        let mut b = captured_attrd_query();
        // 3.0.1 layout: size @24, flags @28, version @32, part_id @34, nothing @36
        b[32..40].copy_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(decode(&b), Err(DecodeError::NewerLayout));
        b[32] = 7;
        assert_eq!(decode(&b), Err(DecodeError::UnknownVersion(0)));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let full = captured_attrd_query();
        for n in 0..full.len() {
            assert!(decode(&full[..n]).is_err(), "prefix of {n} bytes decoded");
        }
        let big = format!("<cib>{}</cib>", "<x/>".repeat(50_000));
        let c = encode(1, 0, &big, 65536).unwrap();
        for n in (0..c.len()).step_by(97) {
            assert!(decode(&c[..n]).is_err());
        }
    }

    #[test]
    fn missing_nul_and_bad_utf8() {
        let mut b = captured_attrd_query();
        *b.last_mut().unwrap() = b'x';
        assert_eq!(decode(&b), Err(DecodeError::MissingNul));
        let mut b = captured_attrd_query();
        b[HEADER_LEN + 1] = 0xff;
        assert_eq!(decode(&b), Err(DecodeError::NotUtf8));
    }

    #[test]
    fn lying_sizes() {
        let mut b = captured_attrd_query();
        b[8..12].copy_from_slice(&(-5i32).to_le_bytes());
        assert!(matches!(decode(&b), Err(DecodeError::BadSize(_))));
        let mut b = captured_attrd_query();
        b[8..12].copy_from_slice(&10i32.to_le_bytes());
        assert!(matches!(decode(&b), Err(DecodeError::BadSize(_))));
        let mut b = captured_attrd_query();
        b[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(decode(&b), Err(DecodeError::BadSize(_))));
        // compressed flag with garbage payload and a huge announced size
        let mut b = captured_attrd_query();
        b[28..32].copy_from_slice(&20u32.to_le_bytes());
        b[24..28].copy_from_slice(&(MAX_UNCOMPRESSED).to_le_bytes());
        assert!(matches!(decode(&b), Err(DecodeError::Decompress(_))));
    }

    #[test]
    fn compressed_size_mismatch() {
        let big = format!("<cib>{}</cib>", "<x/>".repeat(50_000));
        let mut c = encode(1, 0, &big, 65536).unwrap();
        let real = le_u32(&c, 24);
        c[24..28].copy_from_slice(&(real - 1).to_le_bytes());
        assert!(matches!(decode(&c), Err(DecodeError::Decompress(_))));
        c[24..28].copy_from_slice(&(real + 1).to_le_bytes());
        assert!(matches!(decode(&c), Err(DecodeError::Decompress(_))));
    }

    #[test]
    fn garbage_never_panics() {
        // deterministic pseudo-random inputs, some with a plausible header
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..20_000 {
            let len = (next() % 300) as usize;
            let mut b: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if b.len() >= HEADER_LEN && i % 2 == 0 {
                b[36] = 1;
                let size = (next() % (len as u64 + 8)) as i32;
                b[8..12].copy_from_slice(&size.to_le_bytes());
                let su = (next() % (len as u64 + 8)) as u32;
                b[24..28].copy_from_slice(&su.to_le_bytes());
                if i % 4 == 0 {
                    b[28..32].copy_from_slice(&((next() % 64) as u32).to_le_bytes());
                    b[40..43.min(len)].copy_from_slice(&b"BZh"[..3.min(len - 40)]);
                } else {
                    b[28..32].copy_from_slice(&[0; 4]);
                }
            }
            let _ = decode(&b);
        }
    }
}
