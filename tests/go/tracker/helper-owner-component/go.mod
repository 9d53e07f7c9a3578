module example.com/helper-owner-component

go 1.21
