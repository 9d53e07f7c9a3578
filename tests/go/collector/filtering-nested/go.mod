module example.com/filtering-nested

go 1.21
