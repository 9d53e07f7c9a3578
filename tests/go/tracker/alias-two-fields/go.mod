module example.com/alias-two-fields

go 1.21
