module example.com/funcs-method-values

go 1.21
