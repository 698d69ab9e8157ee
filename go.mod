module github.com/linux-librust/linux-librust

go 1.26.0

require (
	github.com/coreos/go-systemd/v22 v22.7.0
	github.com/golang/snappy v1.0.0
	github.com/klauspost/cpuid/v2 v2.0.9
	github.com/spf13/afero v1.15.0
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.9
	github.com/stretchr/testify v1.12.1
	golang.org/x/sys v0.50.0
	lukechampine.com/blake3 v1.3.0
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/text v0.28.0 // indirect
)

replace github.com/klauspost/cpuid/v2 => ./internal/cpuid
