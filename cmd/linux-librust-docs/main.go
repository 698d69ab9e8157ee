// Command linux-librust-docs writes the man pages and the bash completion of
// linux-librust into a directory: man/linux-librust.8, man/linux-librust-COMMAND.8
// for each command, and bash-completion/linux-librust. The pages are made from the
// commands' own help texts and flags, with the sections of linux-librust(8) written
// here. It runs at build time and is not shipped.
//
// Usage: linux-librust-docs DIR
//
// The date in the man pages is SOURCE_DATE_EPOCH when set, so the output is reproducible.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/linux-librust/linux-librust/internal/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: linux-librust-docs DIR")
		os.Exit(2)
	}
	date := time.Now().UTC()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "linux-librust-docs: invalid SOURCE_DATE_EPOCH %q: %v\n", s, err)
			os.Exit(1)
		}
		date = time.Unix(n, 0).UTC()
	}
	app := &cli.App{Stdin: os.Stdin, Stdout: io.Discard, Stderr: io.Discard, Getenv: os.Getenv}
	if err := write(os.Args[1], app.Command(), header{date: date, version: app.Command().Version}); err != nil {
		fmt.Fprintf(os.Stderr, "linux-librust-docs: %v\n", err)
		os.Exit(1)
	}
}

// write writes the pages and the completion of root into dir.
func write(dir string, root *cobra.Command, h header) error {
	man := filepath.Join(dir, "man")
	if err := os.MkdirAll(man, 0o755); err != nil {
		return err
	}
	for _, p := range pages(root) {
		if err := writeFile(filepath.Join(man, p.name+".8"), func(w io.Writer) error { return p.write(w, h) }); err != nil {
			return fmt.Errorf("man page %s: %w", p.name, err)
		}
	}
	comp := filepath.Join(dir, "bash-completion")
	if err := os.MkdirAll(comp, 0o755); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(comp, "linux-librust"), func(w io.Writer) error { return root.GenBashCompletionV2(w, true) }); err != nil {
		return fmt.Errorf("bash completion: %w", err)
	}
	return nil
}

// pages returns linux-librust(8) and a page per command.
func pages(root *cobra.Command) []*page {
	var cmds []*cobra.Command
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() && c.Name() != "help" {
			cmds = append(cmds, c)
		}
	}
	out := []*page{mainPage(root, cmds)}
	for _, c := range cmds {
		seeAlso := []string{"linux-librust(8)"}
		for _, other := range related[c.Name()] {
			seeAlso = append(seeAlso, "linux-librust-"+other+"(8)")
		}
		out = append(out, commandPage(c, seeAlso))
	}
	return out
}

// related names, for each command, the commands its page refers to.
var related = map[string][]string{
	"collect":       {"verify"},
	"link":          {"unlink", "repair", "status", "verify"},
	"unlink":        {"link", "repair", "status"},
	"repair":        {"link", "unlink", "status"},
	"status":        {"repair", "verify"},
	"verify":        {"status", "collect"},
	"hook":          {"repair", "status"},
	"dkms-prebuild": {"verify"},
}

func writeFile(name string, fn func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
