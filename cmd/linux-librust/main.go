// Command linux-librust links and checks the Rust artifacts of Debian kernels.
package main

import (
	"os"

	"github.com/linux-librust/linux-librust/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
