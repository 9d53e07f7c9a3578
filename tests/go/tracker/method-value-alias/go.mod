module example.com/method-value-alias

go 1.21
