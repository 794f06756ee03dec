-- `.plant` files are plantc models.
vim.cmd([[autocmd BufRead,BufNewFile *.plant setfiletype plant]])
