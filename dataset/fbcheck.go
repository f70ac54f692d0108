package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The Arrow library trusts the flatbuffer footer of a file: a corrupt
// vector length becomes a huge allocation and a corrupt offset can make it
// recurse forever, both fatal (not panics). checkFooter walks the footer
// first, bounds-checking every offset and vector it will follow, and only
// admits what a shard can contain: no dictionaries, the column types of the
// schema, shallow nesting, a bounded number of fields.

var errFooter = errors.New("corrupt Arrow footer")

const (
	maxFields   = 1 << 17 // top-level columns
	maxChildren = 64
	maxDepth    = 5
	maxKV       = 256
	maxVisits   = 1 << 18
)

// Arrow flatbuffer type ids this format uses.
var allowedTypes = map[byte]string{2: "Int", 3: "FloatingPoint", 5: "Utf8", 12: "List", 13: "Struct", 16: "FixedSizeList"}

type fbuf struct {
	b      []byte
	visits int
}

func (f *fbuf) u32(p int64) (int64, error) {
	if p < 0 || p+4 > int64(len(f.b)) {
		return 0, errFooter
	}
	return int64(binary.LittleEndian.Uint32(f.b[p:])), nil
}

func (f *fbuf) u16(p int64) (int64, error) {
	if p < 0 || p+2 > int64(len(f.b)) {
		return 0, errFooter
	}
	return int64(binary.LittleEndian.Uint16(f.b[p:])), nil
}

type fbTable struct {
	f         *fbuf
	pos, vt   int64
	vtLen     int64
	tableSize int64
}

// table checks the table at pos (as flatbuffers.Table would read it).
func (f *fbuf) table(pos int64) (fbTable, error) {
	f.visits++
	if f.visits > maxVisits || pos < 0 || pos >= 1<<31 {
		return fbTable{}, errFooter
	}
	so, err := f.u32(pos)
	if err != nil {
		return fbTable{}, err
	}
	vt := pos - int64(int32(uint32(so)))
	vtLen, err := f.u16(vt)
	if err != nil {
		return fbTable{}, err
	}
	size, err := f.u16(vt + 2)
	if err != nil || vtLen < 4 || vt+vtLen > int64(len(f.b)) || pos+size > int64(len(f.b)) {
		return fbTable{}, errFooter
	}
	return fbTable{f: f, pos: pos, vt: vt, vtLen: vtLen, tableSize: size}, nil
}

// field returns the absolute position of field slot (0, false if absent).
func (t fbTable) field(slot int) (int64, bool, error) {
	voff := int64(4 + 2*slot)
	if voff >= t.vtLen {
		return 0, false, nil
	}
	fo, err := t.f.u16(t.vt + voff)
	if err != nil || fo == 0 {
		return 0, false, err
	}
	if fo >= t.tableSize {
		return 0, false, errFooter
	}
	return t.pos + fo, true, nil
}

// ref follows the offset in field slot.
func (t fbTable) ref(slot int) (int64, bool, error) {
	p, ok, err := t.field(slot)
	if !ok || err != nil {
		return 0, ok, err
	}
	off, err := t.f.u32(p)
	if err != nil {
		return 0, false, err
	}
	if p+off >= int64(len(t.f.b)) {
		return 0, false, errFooter
	}
	return p + off, true, nil
}

// vector checks the vector in field slot; it returns the start of its
// elements and their number.
func (t fbTable) vector(slot int, elem int64) (int64, int64, error) {
	at, ok, err := t.ref(slot)
	if !ok || err != nil {
		return 0, 0, err
	}
	n, err := t.f.u32(at)
	if err != nil {
		return 0, 0, err
	}
	if at+4+n*elem > int64(len(t.f.b)) {
		return 0, 0, errFooter
	}
	return at + 4, n, nil
}

// tables returns the positions of the tables in the vector in field slot.
func (t fbTable) tables(slot int, max int64) ([]int64, error) {
	start, n, err := t.vector(slot, 4)
	if err != nil {
		return nil, err
	}
	if n > max {
		return nil, fmt.Errorf("%d entries in a footer list (at most %d)", n, max)
	}
	out := make([]int64, n)
	for i := range out {
		e := start + 4*int64(i)
		off, err := t.f.u32(e)
		if err != nil {
			return nil, err
		}
		out[i] = e + off
	}
	return out, nil
}

func (t fbTable) keyValues(slot int) error {
	kvs, err := t.tables(slot, maxKV)
	if err != nil {
		return err
	}
	for _, p := range kvs {
		kv, err := t.f.table(p)
		if err != nil {
			return err
		}
		for s := 0; s < 2; s++ {
			if _, _, err := kv.vector(s, 1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *fbuf) checkField(pos int64, depth int) error {
	if depth > maxDepth {
		return errors.New("columns nested too deeply")
	}
	t, err := f.table(pos)
	if err != nil {
		return err
	}
	if _, _, err := t.vector(0, 1); err != nil { // name
		return err
	}
	p, ok, err := t.field(2) // type_type
	if err != nil {
		return err
	}
	if !ok || p+1 > int64(len(f.b)) {
		return errFooter
	}
	if _, allowed := allowedTypes[f.b[p]]; !allowed {
		return fmt.Errorf("a column of Arrow type id %d, which this format never uses", f.b[p])
	}
	tp, ok, err := t.ref(3) // type
	if err != nil || !ok {
		return errFooter
	}
	if _, err := f.table(tp); err != nil {
		return err
	}
	if _, has, err := t.field(4); err != nil || has {
		if err == nil {
			err = errors.New("a dictionary-encoded column, which this format never uses")
		}
		return err
	}
	children, err := t.tables(5, maxChildren)
	if err != nil {
		return err
	}
	for _, c := range children {
		if err := f.checkField(c, depth+1); err != nil {
			return err
		}
	}
	return t.keyValues(6)
}

// block is where a record batch message lies in the file (a footer entry).
type block struct {
	offset, meta, body int64
}

// checkFooter validates the footer of the Arrow file r of the given size
// the way ipc.NewFileReader will read it, and returns the record batches'
// places.
func checkFooter(r io.ReaderAt, size int64) ([]block, error) {
	const magic = "ARROW1"
	if size <= int64(len(magic)*2+4) {
		return nil, fmt.Errorf("file too small (%d bytes)", size)
	}
	tail := make([]byte, len(magic)+4)
	if _, err := r.ReadAt(tail, size-int64(len(tail))); err != nil {
		return nil, err
	}
	if !bytes.Equal(tail[4:], []byte(magic)) {
		return nil, errors.New("no Arrow file trailer (ARROW1)")
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n <= 0 || n+int64(len(magic)*2+4) > size {
		return nil, errFooter
	}
	f := &fbuf{b: make([]byte, n)}
	if _, err := r.ReadAt(f.b, size-int64(len(tail))-n); err != nil {
		return nil, err
	}
	root, err := f.u32(0)
	if err != nil {
		return nil, err
	}
	ft, err := f.table(root)
	if err != nil {
		return nil, err
	}
	if _, nd, err := ft.vector(2, 24); err != nil || nd != 0 { // dictionaries
		if err == nil {
			err = errors.New("dictionaries, which this format never uses")
		}
		return nil, err
	}
	start, nb, err := ft.vector(3, 24) // record batches
	if err != nil {
		return nil, err
	}
	if nb > int64(len(f.b))/24 {
		return nil, errFooter
	}
	blocks := make([]block, nb)
	for k := range blocks {
		e := start + 24*int64(k)
		blocks[k] = block{
			offset: int64(binary.LittleEndian.Uint64(f.b[e:])),
			meta:   int64(int32(binary.LittleEndian.Uint32(f.b[e+8:]))),
			body:   int64(binary.LittleEndian.Uint64(f.b[e+16:])),
		}
	}
	if err := ft.keyValues(4); err != nil {
		return nil, err
	}
	sp, ok, err := ft.ref(1) // schema
	if err != nil || !ok {
		return nil, errFooter
	}
	st, err := f.table(sp)
	if err != nil {
		return nil, err
	}
	if _, _, err := st.vector(3, 8); err != nil { // features
		return nil, err
	}
	if err := st.keyValues(2); err != nil {
		return nil, err
	}
	fields, err := st.tables(1, maxFields)
	if err != nil {
		return nil, err
	}
	for _, p := range fields {
		if err := f.checkField(p, 0); err != nil {
			return nil, err
		}
	}
	return blocks, nil
}

// checkMessage checks the metadata of a record batch message before the
// Arrow library reads it: the body compression must be the dataset's, so a
// corrupt file cannot send garbage through another decompressor.
func checkMessage(r io.ReaderAt, blk block, size int64, compression string) error {
	if blk.meta < 8 || blk.meta > 1<<24 || blk.offset < 0 || blk.body < 0 || blk.offset+blk.meta+blk.body > size {
		return fmt.Errorf("record batch at %d: %d + %d bytes do not fit in the file", blk.offset, blk.meta, blk.body)
	}
	buf := make([]byte, blk.meta)
	if _, err := r.ReadAt(buf, blk.offset); err != nil {
		return err
	}
	prefix := 0
	switch binary.LittleEndian.Uint32(buf) {
	case 0:
	case 0xFFFFFFFF:
		prefix = 8
	default:
		prefix = 4
	}
	f := &fbuf{b: buf[prefix:]}
	root, err := f.u32(0)
	if err != nil {
		return err
	}
	msg, err := f.table(root)
	if err != nil {
		return err
	}
	hp, ok, err := msg.ref(2) // header
	if err != nil || !ok {
		return errors.New("corrupt record batch message")
	}
	rb, err := f.table(hp)
	if err != nil {
		return err
	}
	cp, has, err := rb.ref(3) // compression
	if err != nil {
		return err
	}
	if !has {
		return nil // uncompressed; allowed in any dataset
	}
	if compression != "lz4" {
		return fmt.Errorf("a compressed record batch in a dataset whose settings say compression %q", compression)
	}
	bc, err := f.table(cp)
	if err != nil {
		return err
	}
	p, ok, err := bc.field(0) // codec, default LZ4_FRAME (0)
	if err != nil {
		return err
	}
	if ok && (p >= int64(len(f.b)) || f.b[p] != 0) {
		return errors.New("a record batch compressed with a codec other than LZ4")
	}
	return nil
}
