module example.com/m

go 1.21

require (
	github.com/a/a v1.0.0
	"github.com/c/c" v1.2.0 // indirect
)

replace (
	github.com/a/a v1.0.0 => github.com/fork/a v1.0.1
	github.com/c/c => ../c
)

retract [v1.0.0, v1.0.5]
