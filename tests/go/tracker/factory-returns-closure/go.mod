module example.com/factory-returns-closure

go 1.21
