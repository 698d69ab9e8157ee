// Command linux-librust-docs writes the man pages and the bash completion of
// linux-librust into a directory. It runs at build time and is not shipped.
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

	"github.com/spf13/cobra/doc"

	"github.com/linux-librust/linux-librust/internal/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: linux-librust-docs DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "linux-librust-docs: %v\n", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	date := time.Now().UTC()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid SOURCE_DATE_EPOCH %q: %w", s, err)
		}
		date = time.Unix(n, 0).UTC()
	}
	app := &cli.App{Stdin: os.Stdin, Stdout: io.Discard, Stderr: io.Discard, Getenv: os.Getenv}
	root := app.Command()
	man := filepath.Join(dir, "man")
	if err := os.MkdirAll(man, 0o755); err != nil {
		return err
	}
	header := &doc.GenManHeader{Title: "LINUX-LIBRUST", Section: "8", Date: &date,
		Source: "linux-librust", Manual: "System Administration"}
	if err := doc.GenManTree(root, header, man); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	comp := filepath.Join(dir, "bash-completion")
	if err := os.MkdirAll(comp, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(comp, "linux-librust"))
	if err != nil {
		return err
	}
	if err := root.GenBashCompletionV2(f, true); err != nil {
		f.Close()
		return fmt.Errorf("bash completion: %w", err)
	}
	return f.Close()
}
