module example.com/detailed-funcs

go 1.21
