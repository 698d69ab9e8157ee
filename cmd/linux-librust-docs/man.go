package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// page is one man page in section 8, rendered as roff by write.
type page struct {
	name     string // linux-librust or linux-librust-<command>
	short    string // the NAME line's description
	synopsis []string
	sections []section
}

// section is a man page section: a heading and its body, which is either text (see
// text) or a list of tagged paragraphs.
type section struct {
	title string
	text  string
	items []item
	roff  string // already roff, after text and items
}

// item is a tagged paragraph (.TP): a term and the text that describes it.
type item struct {
	term, text string
}

// header names the manual and the version on every page.
type header struct {
	date    time.Time
	version string
}

// write renders p as roff.
func (p *page) write(w io.Writer, h header) error {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH %s 8 %q %q \"System Administration\"\n",
		strings.ToUpper(p.name), h.date.Format("2006-01-02"), "linux-librust "+h.version)
	b.WriteString(".SH NAME\n")
	fmt.Fprintf(&b, "%s \\- %s\n", escape(p.name), escape(p.short))
	b.WriteString(".SH SYNOPSIS\n")
	for i, s := range p.synopsis {
		if i > 0 {
			b.WriteString(".br\n")
		}
		b.WriteString(synopsis(s) + "\n")
	}
	for _, s := range p.sections {
		fmt.Fprintf(&b, ".SH %s\n", s.title)
		if s.text != "" {
			b.WriteString(text(s.text))
		}
		for _, it := range s.items {
			fmt.Fprintf(&b, ".TP\n%s\n%s", term(it.term), strings.TrimPrefix(text(it.text), ".PP\n"))
		}
		b.WriteString(s.roff)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// escape makes s safe as roff text: backslashes and hyphen-minus signs are written as
// such, and a line cannot start a request.
func escape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// text renders plain text: paragraphs are separated by blank lines; lines indented
// by two spaces or more are shown as they are (examples, tables).
func text(s string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.Trim(s, "\n"), "\n\n") {
		pre := false
		b.WriteString(".PP\n")
		for _, line := range strings.Split(para, "\n") {
			indented := strings.HasPrefix(line, "  ")
			switch {
			case indented && !pre:
				b.WriteString(".RS 4\n.nf\n")
			case !indented && pre:
				b.WriteString(".fi\n.RE\n")
			}
			pre = indented
			if indented {
				line = strings.TrimPrefix(line, "  ")
			}
			b.WriteString(escape(line) + "\n")
		}
		if pre {
			b.WriteString(".fi\n.RE\n")
		}
	}
	return b.String()
}

// term renders an item's term: the words that are typed in bold, the words in
// capitals (placeholders) in italics.
func term(s string) string { return synopsis(s) }

// synopsis renders a command line: literal words in bold, placeholders (words in
// capitals) in italics, punctuation as is.
func synopsis(s string) string {
	var b strings.Builder
	for i, word := range strings.Fields(s) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(styleWord(word))
	}
	return b.String()
}

// styleWord styles one word of a command line, keeping the brackets, bars and dots
// around it plain.
func styleWord(w string) string {
	start := strings.IndexFunc(w, func(r rune) bool { return !strings.ContainsRune("[(|", r) })
	if start < 0 {
		return escape(w)
	}
	end := strings.LastIndexFunc(w, func(r rune) bool { return !strings.ContainsRune("])|.,", r) }) + 1
	if end <= start {
		return escape(w)
	}
	core := w[start:end]
	font := `\fB`
	if core == strings.ToUpper(core) && strings.ContainsAny(core, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && !strings.HasPrefix(core, "-") {
		font = `\fI`
	}
	if strings.HasPrefix(core, "$") {
		font = `\fI`
	}
	return escape(w[:start]) + font + escape(core) + `\fR` + escape(w[end:])
}

// flagItems describes flags as tagged paragraphs, sorted by name: "--root DIR",
// "-q, --quiet", never a default value.
func flagItems(fs *pflag.FlagSet) []item {
	var items []item
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		name, usage := pflag.UnquoteUsage(f)
		t := "--" + f.Name
		if f.Shorthand != "" {
			t = "-" + f.Shorthand + ", " + t
		}
		if f.Value.Type() != "bool" {
			t += " " + name
		}
		items = append(items, item{t, sentence(usage)})
	})
	sort.SliceStable(items, func(i, j int) bool {
		return strings.TrimLeft(longName(items[i].term), "-") < strings.TrimLeft(longName(items[j].term), "-")
	})
	return items
}

func longName(t string) string {
	if i := strings.Index(t, "--"); i >= 0 {
		return t[i:]
	}
	return t
}

// sentence turns a flag's usage into a sentence.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// commandPage is the page of one command: its description (Long) and examples
// (Example) come from the command itself.
func commandPage(c *cobra.Command, seeAlso []string) *page {
	p := &page{
		name:     "linux-librust-" + c.Name(),
		short:    c.Short,
		synopsis: []string{"linux-librust [GLOBAL OPTIONS] " + c.Use},
	}
	p.sections = append(p.sections, section{title: "DESCRIPTION", text: c.Long})
	opts := flagItems(c.LocalNonPersistentFlags())
	if len(opts) > 0 {
		p.sections = append(p.sections, section{title: "OPTIONS", items: opts})
	}
	p.sections = append(p.sections, section{title: "GLOBAL OPTIONS", text: globalOptionsNote})
	p.sections = append(p.sections, section{title: "EXIT STATUS", text: exitStatusOf(c)})
	if c.Example != "" {
		p.sections = append(p.sections, section{title: "EXAMPLES", text: c.Example})
	}
	p.sections = append(p.sections, section{title: "SEE ALSO", roff: refs(seeAlso)})
	return p
}

// refs renders references to man pages, "name(section)" each, as a SEE ALSO list.
func refs(pages []string) string {
	out := make([]string, len(pages))
	for i, r := range pages {
		name, sec, _ := strings.Cut(r, "(")
		out[i] = `\fB` + escape(name) + `\fR(` + sec
	}
	return strings.Join(out, ",\n") + "\n"
}
