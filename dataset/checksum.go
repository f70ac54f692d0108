package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
)

// MetaChecksum is the schema metadata key of a shard's checksum:
// "sha256:" and 64 hex digits, the SHA-256 of
//
//   - every other schema metadata entry, in increasing key order, each as
//     the key's length (8 bytes, little-endian), the key, the value's
//     length and the value; then
//   - the bytes of every record batch message (its metadata and body, as
//     the file footer places them), in footer order.
//
// So a changed byte in any trace, or in the metadata, is noticed; only
// padding outside the record batches and the schema's field layout (which
// the reader checks against the settings) are not covered. Shards written
// before the checksum existed have no such key and are read unverified.
const MetaChecksum = "checksum"

const checksumPrefix = "sha256:"

var checksumForm = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// checksumPlaceholder is what a shard's metadata holds until the data is
// written and the checksum known; sealShard overwrites it in place (the
// same length, so no offset in the file moves).
var checksumPlaceholder = checksumPrefix + strings.Repeat("-", 64)

// shardDigest computes a shard's checksum (MetaChecksum) from its schema
// metadata (the checksum entry itself is left out) and record batches.
func shardDigest(r io.ReaderAt, size int64, md arrow.Metadata, blocks []block) (string, error) {
	h := sha256.New()
	keys, vals := md.Keys(), md.Values()
	idx := make([]int, 0, len(keys))
	for i, k := range keys {
		if k != MetaChecksum {
			idx = append(idx, i)
		}
	}
	sort.Slice(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	var n [8]byte
	put := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		io.WriteString(h, s)
	}
	for _, i := range idx {
		put(keys[i])
		put(vals[i])
	}
	for k, b := range blocks {
		end := b.offset + b.meta + b.body
		if b.offset < 0 || b.meta < 0 || b.body < 0 || end < b.offset || end > size {
			return "", fmt.Errorf("record batch %d at %d: %d + %d bytes do not fit in the file", k, b.offset, b.meta, b.body)
		}
		if _, err := io.Copy(h, io.NewSectionReader(r, b.offset, b.meta+b.body)); err != nil {
			return "", fmt.Errorf("record batch %d: %w", k, err)
		}
	}
	return checksumPrefix + hex.EncodeToString(h.Sum(nil)), nil
}

// sealShard writes the checksum of the complete shard file f (written
// with metadata md, whose checksum entry is the placeholder) over the
// placeholder: in the schema message at the start and in the footer.
func sealShard(f *os.File, md arrow.Metadata) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	blocks, err := checkFooter(f, size)
	if err != nil {
		return fmt.Errorf("reading back the footer: %w", err)
	}
	sum, err := shardDigest(f, size, md, blocks)
	if err != nil {
		return err
	}
	// The flatbuffer string: length, bytes, NUL.
	pat := binary.LittleEndian.AppendUint32(nil, uint32(len(checksumPlaceholder)))
	pat = append(append(pat, checksumPlaceholder...), 0)
	var tail [4]byte
	if _, err := f.ReadAt(tail[:], size-10); err != nil {
		return err
	}
	footer := size - 10 - int64(binary.LittleEndian.Uint32(tail[:]))
	head := footer
	if len(blocks) > 0 {
		head = blocks[0].offset
	}
	for _, region := range [][2]int64{{0, head}, {footer, size}} {
		buf := make([]byte, region[1]-region[0])
		if _, err := f.ReadAt(buf, region[0]); err != nil {
			return err
		}
		at := bytes.Index(buf, pat)
		if at < 0 || bytes.Contains(buf[at+1:], pat) {
			return errors.New("the checksum placeholder is not in the metadata exactly once")
		}
		if _, err := f.WriteAt([]byte(sum), region[0]+int64(at)+4); err != nil {
			return err
		}
	}
	return nil
}

// verify checks a shard's checksum, if it has one.
func (a *arrowFile) verify(h *header) error {
	if h.checksum == "" {
		return nil
	}
	var md arrow.Metadata
	if err := protect(func() error { md = a.r.Schema().Metadata(); return nil }); err != nil {
		return fmt.Errorf("%s: %v", h.path, err)
	}
	sum, err := shardDigest(a.f, a.size, md, a.blocks)
	if err != nil {
		return fmt.Errorf("%s: computing the checksum: %v", h.path, err)
	}
	if sum != h.checksum {
		return fmt.Errorf("%s: checksum mismatch: the file's data or metadata changed after generate wrote it (corrupt copy or disk?); "+
			"make this shard again (generate --shard %d/%d with the same settings) or copy it anew",
			h.path, h.shard.Index, h.shard.Count)
	}
	return nil
}
