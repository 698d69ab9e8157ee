package verifier

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// The cache file is text, one record a line, fields separated by one space, every
// string but the key quoted as Go quotes it (so none holds a space or a newline
// unquoted):
//
//	linux-librust-checks <cacheFormat>
//	entry <artifacts tree> <rustc version> <number of findings> <key, as it is>
//	finding <code> <severity> <path> <message> <fix>   (that many lines)
//	…
//	sha256 <SHA-256 of every byte before this line, in hex>
//
// The key, numbers and quoted names, is written as it is (quoting it again would double
// the cost of reading it) and takes the rest of its line: an entry whose key holds a
// newline is not written. A file that does not decode exactly so, with its checksum, is
// ignored whole.

const cacheMagic = "linux-librust-checks"

// encodeCache returns the file holding entries, in the order of their trees.
func encodeCache(entries map[string]cacheEntry) []byte {
	b := strconv.AppendInt([]byte(cacheMagic+" "), cacheFormat, 10)
	b = append(b, '\n')
	trees := make([]string, 0, len(entries))
	for t := range entries {
		trees = append(trees, t)
	}
	slices.Sort(trees)
	for _, t := range trees {
		e := entries[t]
		if e.Key == "" || strings.IndexByte(e.Key, '\n') >= 0 {
			continue
		}
		b = append(b, "entry "...)
		b = strconv.AppendQuote(b, t)
		b = strconv.AppendQuote(append(b, ' '), e.RustcVersion)
		b = strconv.AppendInt(append(b, ' '), int64(len(e.Findings)), 10)
		b = append(append(append(b, ' '), e.Key...), '\n')
		for _, f := range e.Findings {
			b = append(b, "finding "...)
			b = strconv.AppendQuote(b, f.Code)
			b = strconv.AppendInt(append(b, ' '), int64(f.Severity), 10)
			b = strconv.AppendQuote(append(b, ' '), f.Path)
			b = strconv.AppendQuote(append(b, ' '), f.Message)
			b = strconv.AppendQuote(append(b, ' '), f.Fix)
			b = append(b, '\n')
		}
	}
	return sealCache(b)
}

// sealCache appends the checksum line to the records b.
func sealCache(b []byte) []byte { return append(b, checksumLine(b)...) }

// checksumLine returns the last line of a cache file whose records are b. SHA-256,
// not a CRC: its code is at hand and warm, where a CRC's tables are built on first use.
func checksumLine(b []byte) []byte {
	sum := sha256.Sum256(b)
	line := append(make([]byte, 0, len("sha256 \n")+2*len(sum)), "sha256 "...)
	line = hex.AppendEncode(line, sum[:])
	return append(line, '\n')
}

// decodeCache returns the entries of a cache file; ok is false when data is not one
// whole file of this format.
func decodeCache(data []byte) (entries map[string]cacheEntry, ok bool) {
	if len(data) == 0 || data[len(data)-1] != '\n' {
		return nil, false
	}
	lines := bytes.Split(data[:len(data)-1], []byte{'\n'})
	last := lines[len(lines)-1]
	body := data[:len(data)-len(last)-1]
	if !bytes.Equal(checksumLine(body), data[len(body):]) {
		return nil, false
	}
	lines = lines[:len(lines)-1]
	if len(lines) == 0 {
		return nil, false
	}
	head := lineDecoder{s: lines[0]}
	if head.word() != cacheMagic || head.int() != cacheFormat || !head.end() {
		return nil, false
	}
	entries = map[string]cacheEntry{}
	for lines = lines[1:]; len(lines) > 0; {
		d := lineDecoder{s: lines[0]}
		if d.word() != "entry" {
			return nil, false
		}
		tree, e := d.quoted(), cacheEntry{}
		e.RustcVersion = d.quoted()
		n := d.int()
		e.Key = d.rest()
		if !d.end() || n < 0 || n >= len(lines) {
			return nil, false
		}
		e.Findings = make([]cachedFinding, n)
		for i := range e.Findings {
			d := lineDecoder{s: lines[1+i]}
			f := &e.Findings[i]
			if d.word() != "finding" {
				return nil, false
			}
			f.Code, f.Severity, f.Path, f.Message, f.Fix = d.quoted(), d.int(), d.quoted(), d.quoted(), d.quoted()
			if !d.end() {
				return nil, false
			}
		}
		if _, dup := entries[tree]; dup || len(entries) >= maxCacheEntries {
			return nil, false
		}
		entries[tree] = e
		lines = lines[1+n:]
	}
	return entries, true
}

// lineDecoder reads the fields of one line of a cache file, separated by one space;
// bad is set at the first that is not what was asked for.
type lineDecoder struct {
	s      []byte
	fields int
	bad    bool
}

// start consumes the separator before a field; false when there is no field.
func (d *lineDecoder) start() bool {
	if d.fields > 0 {
		if len(d.s) == 0 || d.s[0] != ' ' {
			d.bad = true
		} else {
			d.s = d.s[1:]
		}
	}
	d.fields++
	if len(d.s) == 0 {
		d.bad = true
	}
	return !d.bad
}

// word returns the next field, unquoted (no space in it).
func (d *lineDecoder) word() string {
	if !d.start() {
		return ""
	}
	i := bytes.IndexByte(d.s, ' ')
	if i < 0 {
		i = len(d.s)
	}
	w := string(d.s[:i])
	d.s = d.s[i:]
	return w
}

// rest returns the rest of the line as the last field.
func (d *lineDecoder) rest() string {
	if !d.start() {
		return ""
	}
	r := string(d.s)
	d.s = nil
	return r
}

// int returns the next field as a decimal number.
func (d *lineDecoder) int() int {
	n, err := strconv.Atoi(d.word())
	if err != nil {
		d.bad = true
	}
	return n
}

// quoted returns the next field, a Go-quoted string, unquoted.
func (d *lineDecoder) quoted() string {
	if !d.start() || d.s[0] != '"' {
		d.bad = true
		return ""
	}
	for i := 1; i < len(d.s); i++ {
		switch d.s[i] {
		case '\\':
			i++
		case '"':
			v, err := strconv.Unquote(string(d.s[:i+1]))
			if err != nil {
				d.bad = true
			}
			d.s = d.s[i+1:]
			return v
		}
	}
	d.bad = true
	return ""
}

// end tells whether every field was as asked and the line has no more.
func (d *lineDecoder) end() bool { return !d.bad && len(d.s) == 0 }
