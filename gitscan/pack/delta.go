package pack

import (
	"errors"
	"fmt"
	"sort"
)

// op is one delta instruction, placed in the result: n bytes at dst come
// from the base at src (copy) or from the delta stream at src (insert).
type op struct {
	dst, n, src int
	insert      bool
}

// parseDelta decodes a delta stream against a base of baseLen bytes into
// ops (reusing its storage) and returns the result's size.
func parseDelta(d []byte, baseLen int, ops []op) ([]op, int, error) {
	src, i, ok := deltaVarint(d, 0)
	if !ok {
		return ops, 0, errors.New("delta: truncated header")
	}
	if src != baseLen {
		return ops, 0, fmt.Errorf("delta: base is %d bytes, delta expects %d", baseLen, src)
	}
	size, i, ok := deltaVarint(d, i)
	if !ok {
		return ops, 0, errors.New("delta: truncated header")
	}
	dst := 0
	for i < len(d) {
		c := d[i]
		i++
		switch {
		case c&0x80 != 0:
			var off, n int
			for k := range 4 {
				if c&(1<<k) != 0 {
					if i >= len(d) {
						return ops, 0, errors.New("delta: truncated copy")
					}
					off |= int(d[i]) << (8 * k)
					i++
				}
			}
			for k := range 3 {
				if c&(0x10<<k) != 0 {
					if i >= len(d) {
						return ops, 0, errors.New("delta: truncated copy")
					}
					n |= int(d[i]) << (8 * k)
					i++
				}
			}
			if n == 0 {
				n = 0x10000
			}
			if off+n > baseLen || dst+n > size {
				return ops, 0, errors.New("delta: copy out of bounds")
			}
			ops = append(ops, op{dst: dst, n: n, src: off})
			dst += n
		case c != 0:
			n := int(c)
			if i+n > len(d) || dst+n > size {
				return ops, 0, errors.New("delta: insert out of bounds")
			}
			ops = append(ops, op{dst: dst, n: n, src: i, insert: true})
			i += n
			dst += n
		default:
			return ops, 0, errors.New("delta: reserved opcode 0")
		}
	}
	if dst != size {
		return ops, 0, fmt.Errorf("delta: result is %d bytes, header says %d", dst, size)
	}
	return ops, size, nil
}

// deltaResult returns the result size a delta stream declares, so that
// it is checked against its bound before the stream is parsed.
func deltaResult(d []byte) int64 {
	_, i, _ := deltaVarint(d, 0)
	n, _, _ := deltaVarint(d, i)
	return int64(n)
}

// deltaVarint parses the little-endian base-128 sizes of a delta header.
func deltaVarint(d []byte, i int) (int, int, bool) {
	v, shift := 0, 0
	for {
		if i >= len(d) || shift > 56 {
			return 0, i, false
		}
		c := d[i]
		i++
		v |= int(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			return v, i, true
		}
	}
}

// apply writes the delta's result into out, which has the result's size.
func apply(ops []op, base, delta, out []byte) {
	for _, o := range ops {
		if o.insert {
			copy(out[o.dst:o.dst+o.n], delta[o.src:])
		} else {
			copy(out[o.dst:o.dst+o.n], base[o.src:])
		}
	}
}

// gather appends the result's bytes [a, b) to buf without building the
// whole result.
func gather(buf []byte, ops []op, base, delta []byte, a, b int) []byte {
	i := sort.Search(len(ops), func(i int) bool { return ops[i].dst+ops[i].n > a })
	for ; i < len(ops) && ops[i].dst < b; i++ {
		o := ops[i]
		from, to := max(a, o.dst)-o.dst+o.src, min(b, o.dst+o.n)-o.dst+o.src
		if o.insert {
			buf = append(buf, delta[from:to]...)
		} else {
			buf = append(buf, base[from:to]...)
		}
	}
	return buf
}
