package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxFrame is the largest payload a frame may carry (the official client's
// MAX_MSG_LEN). A longer length prefix means the stream is out of step.
const MaxFrame = 0xFFFFFF

// ErrFrameTooLong reports a length prefix above MaxFrame.
var ErrFrameTooLong = errors.New("frame longer than 16 MiB: stream out of step")

// ErrMalformed reports a payload that is not a sequence of NUL-terminated
// fields.
var ErrMalformed = errors.New("malformed message")

// AppendFrame appends payload with its 4-byte big-endian length prefix.
func AppendFrame(dst, payload []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
	return append(dst, payload...)
}

// FrameReader reads frames from a stream. The payload Next returns is valid
// until the following call; callers copy what they keep.
type FrameReader struct {
	r   *bufio.Reader
	buf []byte
	hdr [4]byte // here, not on the stack: io.ReadFull would make it escape, an allocation per frame
}

// NewFrameReader buffers r.
func NewFrameReader(r io.Reader) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next frame's payload. A stream that ends between frames
// gives io.EOF; one that ends inside a frame gives io.ErrUnexpectedEOF.
func (f *FrameReader) Next() ([]byte, error) {
	if _, err := io.ReadFull(f.r, f.hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(f.hdr[:])
	if n > MaxFrame {
		return nil, fmt.Errorf("%w (length prefix %d)", ErrFrameTooLong, n)
	}
	if cap(f.buf) < int(n) {
		f.buf = make([]byte, n, max(int(n), 4096))
	}
	f.buf = f.buf[:n]
	if _, err := io.ReadFull(f.r, f.buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return f.buf, nil
}

// Split cuts a payload into its fields, reusing dst. Every field, the last
// included, must end with NUL; the slices alias payload.
func Split(payload []byte, dst [][]byte) ([][]byte, error) {
	dst = dst[:0]
	start := 0
	for i, c := range payload {
		if c == 0 {
			dst = append(dst, payload[start:i])
			start = i + 1
		}
	}
	if start != len(payload) {
		return dst, fmt.Errorf("%w: %d bytes after the last NUL", ErrMalformed, len(payload)-start)
	}
	if len(dst) == 0 {
		return dst, fmt.Errorf("%w: empty payload", ErrMalformed)
	}
	return dst, nil
}
