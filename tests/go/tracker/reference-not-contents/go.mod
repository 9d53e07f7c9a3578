module example.com/reference-not-contents

go 1.21
