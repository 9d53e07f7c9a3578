module example.com/helper-field-depth

go 1.21
