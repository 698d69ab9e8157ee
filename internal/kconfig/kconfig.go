// Package kconfig reads kernel configuration files (.config, include/config/auto.conf).
package kconfig

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits on the input.
const (
	MaxLineLen = 64 << 10
	MaxSize    = 16 << 20
)

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("invalid kernel configuration")

// Tristate is the value of a bool or tristate symbol.
type Tristate int

const (
	Absent Tristate = iota // not mentioned at all
	No                     // "# CONFIG_X is not set" or CONFIG_X=n
	Module                 // CONFIG_X=m
	Yes                    // CONFIG_X=y
)

func (t Tristate) String() string {
	return [...]string{"absent", "n", "m", "y"}[t]
}

// Config holds the assignments of a configuration file. The last assignment of a symbol
// wins, as in Kconfig.
type Config struct {
	values map[string]value // name → raw value; unset symbols map to "n"
	arch   string
	kernel string
}

type value struct {
	raw  string
	line int // of the last assignment
}

// Parse reads a configuration file. It is a hand-written scanner: Debian's .config has
// about 10,000 lines, and every hook run reads one.
func Parse(r io.Reader) (*Config, error) {
	return parse(r, nil)
}

// ParseSymbols reads a configuration file as Parse does, every line checked, and keeps
// the values of the named symbols only: what is not kept reads as absent.
func ParseSymbols(r io.Reader, names ...string) (*Config, error) {
	keep := make(map[string]bool, len(names))
	for _, n := range names {
		keep[n] = true
	}
	return parse(r, keep)
}

// parse reads a configuration file, keeping the symbols of keep (all when nil).
func parse(r io.Reader, keep map[string]bool) (*Config, error) {
	c := &Config{values: make(map[string]value, len(keep))}
	if keep == nil {
		c.values = make(map[string]value, 1<<13)
	}
	lr := &io.LimitedReader{R: r, N: MaxSize + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineLen)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if name, raw, ok := assignment(line); ok {
			if keep == nil || keep[string(name)] {
				c.values[string(name)] = value{string(raw), n}
			}
			continue
		}
		if name, ok := unset(line); ok {
			if keep == nil || keep[string(name)] {
				c.values[string(name)] = value{"n", n}
			}
			continue
		}
		if len(line) == 0 || line[0] == '#' {
			if c.arch == "" {
				if arch, kernel, ok := header(line); ok {
					c.arch, c.kernel = string(arch), string(kernel)
				}
			}
			continue
		}
		return nil, fmt.Errorf("%w: line %d: expected CONFIG_NAME=value or a comment, found %q", ErrSyntax, n, clip(string(line)))
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: line %d longer than %d bytes", ErrSyntax, n+1, MaxLineLen)
		}
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrSyntax, MaxSize)
	}
	return c, nil
}

// symbol returns the length of the symbol name CONFIG_[A-Za-z0-9_]+ at the start of b,
// 0 when there is none.
func symbol(b []byte) int {
	const prefix = "CONFIG_"
	if len(b) <= len(prefix) || string(b[:len(prefix)]) != prefix {
		return 0
	}
	i := len(prefix)
	for i < len(b) && (b[i] == '_' || '0' <= b[i] && b[i] <= '9' || 'a' <= b[i]|0x20 && b[i]|0x20 <= 'z') {
		i++
	}
	if i == len(prefix) {
		return 0
	}
	return i
}

// assignment matches "CONFIG_NAME=value".
func assignment(line []byte) (name, raw []byte, ok bool) {
	i := symbol(line)
	if i == 0 || i >= len(line) || line[i] != '=' {
		return nil, nil, false
	}
	return line[:i], line[i+1:], true
}

// unset matches "# CONFIG_NAME is not set".
func unset(line []byte) (name []byte, ok bool) {
	const pre, post = "# ", " is not set"
	if len(line) < len(pre)+len(post) || string(line[:len(pre)]) != pre || string(line[len(line)-len(post):]) != post {
		return nil, false
	}
	rest := line[len(pre) : len(line)-len(post)]
	if i := symbol(rest); i == 0 || i != len(rest) {
		return nil, false
	}
	return rest, true
}

// header matches "# Linux/<arch> <version> Kernel Configuration".
func header(line []byte) (arch, kernel []byte, ok bool) {
	const pre, post = "# Linux/", " Kernel Configuration"
	if len(line) < len(pre)+len(post) || string(line[:len(pre)]) != pre || string(line[len(line)-len(post):]) != post {
		return nil, nil, false
	}
	rest := line[len(pre) : len(line)-len(post)]
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return nil, nil, false
	}
	arch, kernel = rest[:sp], rest[sp+1:]
	if len(kernel) == 0 || bytes.ContainsAny(arch, "\t\n\f\r ") || bytes.ContainsAny(kernel, "\t\n\f\r ") {
		return nil, nil, false
	}
	return arch, kernel, true
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Arch returns the architecture named in the "# Linux/<arch> <version> Kernel
// Configuration" header line, "" without one.
func (c *Config) Arch() string { return c.arch }

// KernelVersion returns the kernel version named in the header line, "" without one.
func (c *Config) KernelVersion() string { return c.kernel }

// Get returns the raw value of a symbol (full name, e.g. "CONFIG_RUST"); "n" for a
// "# CONFIG_X is not set" line.
func (c *Config) Get(name string) (raw string, ok bool) {
	v, ok := c.values[name]
	return v.raw, ok
}

// Line returns the line of the symbol's last assignment, 0 if none.
func (c *Config) Line(name string) int { return c.values[name].line }

// String returns the unquoted value of a string symbol; ok is false when it is not set.
func (c *Config) String(name string) (s string, ok bool, err error) {
	v, ok := c.values[name]
	if !ok {
		return "", false, nil
	}
	s, err = unquote(v.raw)
	if err != nil {
		return "", true, fmt.Errorf("%w: %s on line %d: %w", ErrSyntax, name, v.line, err)
	}
	return s, true, nil
}

// Bool returns the value of a bool or tristate symbol.
func (c *Config) Bool(name string) (Tristate, error) {
	v, ok := c.values[name]
	if !ok {
		return Absent, nil
	}
	switch v.raw {
	case "y":
		return Yes, nil
	case "m":
		return Module, nil
	case "n":
		return No, nil
	}
	return Absent, fmt.Errorf("%w: %s on line %d is %q, not y, m or n", ErrSyntax, name, v.line, clip(v.raw))
}

// Unquote decodes a Kconfig string value: double quotes around it, and a backslash
// taking the next character literally (Kconfig writes \" and \\).
func Unquote(raw string) (string, error) {
	s, err := unquote(raw)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	return s, nil
}

func unquote(raw string) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", fmt.Errorf("string value %q is not in double quotes", clip(raw))
	}
	var b strings.Builder
	for i := 1; i < len(raw); i++ {
		switch ch := raw[i]; ch {
		case '\\':
			if i+1 >= len(raw) {
				return "", fmt.Errorf("string value %q ends in a backslash", clip(raw))
			}
			i++
			b.WriteByte(raw[i])
		case '"':
			if i != len(raw)-1 {
				return "", fmt.Errorf("string value %q has text after its closing quote", clip(raw))
			}
			return b.String(), nil
		default:
			b.WriteByte(ch)
		}
	}
	return "", fmt.Errorf("string value %q lacks its closing quote", clip(raw))
}

// Quote encodes s as Kconfig writes a string value.
func Quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
