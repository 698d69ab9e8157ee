// Package kconfig reads kernel configuration files (.config, include/config/auto.conf).
package kconfig

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
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
	values map[string]string // name → raw value; unset symbols map to "n"
	lines  map[string]int    // name → line of its last assignment
	arch   string
	kernel string
}

var (
	assignRe = regexp.MustCompile(`^(CONFIG_[A-Za-z0-9_]+)=(.*)$`)
	unsetRe  = regexp.MustCompile(`^# (CONFIG_[A-Za-z0-9_]+) is not set$`)
	headerRe = regexp.MustCompile(`^# Linux/(\S+) (\S+) Kernel Configuration$`)
)

// Parse reads a configuration file.
func Parse(r io.Reader) (*Config, error) {
	c := &Config{values: map[string]string{}, lines: map[string]int{}}
	lr := &io.LimitedReader{R: r, N: MaxSize + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4096), MaxLineLen)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if m := assignRe.FindStringSubmatch(line); m != nil {
			c.values[m[1]], c.lines[m[1]] = m[2], n
			continue
		}
		if m := unsetRe.FindStringSubmatch(line); m != nil {
			c.values[m[1]], c.lines[m[1]] = "n", n
			continue
		}
		if m := headerRe.FindStringSubmatch(line); m != nil && c.arch == "" {
			c.arch, c.kernel = m[1], m[2]
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		return nil, fmt.Errorf("%w: line %d: expected CONFIG_NAME=value or a comment, found %q", ErrSyntax, n, clip(line))
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
	raw, ok = c.values[name]
	return raw, ok
}

// Line returns the line of the symbol's last assignment, 0 if none.
func (c *Config) Line(name string) int { return c.lines[name] }

// String returns the unquoted value of a string symbol; ok is false when it is not set.
func (c *Config) String(name string) (s string, ok bool, err error) {
	raw, ok := c.values[name]
	if !ok {
		return "", false, nil
	}
	s, err = unquote(raw)
	if err != nil {
		return "", true, fmt.Errorf("%w: %s on line %d: %w", ErrSyntax, name, c.lines[name], err)
	}
	return s, true, nil
}

// Bool returns the value of a bool or tristate symbol.
func (c *Config) Bool(name string) (Tristate, error) {
	raw, ok := c.values[name]
	if !ok {
		return Absent, nil
	}
	switch raw {
	case "y":
		return Yes, nil
	case "m":
		return Module, nil
	case "n":
		return No, nil
	}
	return Absent, fmt.Errorf("%w: %s on line %d is %q, not y, m or n", ErrSyntax, name, c.lines[name], clip(raw))
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
