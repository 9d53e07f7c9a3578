// A method receiver garbled by a stray byte (issue 8): `(env *testE~v)` raised in
// extraction and lost every function of the file. Now that method alone is left out.
package p

type testEnv struct{ name string }

func (env *testE~v) Broken() string { return env.name }

func Before() int { return 1 }

func (env *testEnv) Name() string { return env.name }

var After = func() int { return 2 }
