module example.com/matched-returns

go 1.21
