module example.com/func-valued-field

go 1.21
