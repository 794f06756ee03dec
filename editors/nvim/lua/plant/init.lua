-- plantc's language server for Neovim's built-in LSP client (Neovim 0.7 or later).
--
--   require("plant").setup({ cmd = { "plantc", "lsp" } })
--
-- Starts one `plantc lsp` per workspace root (the nearest directory with a `.git` or a
-- `Cargo.toml`, else the file's directory) and attaches every `plant` buffer under it.
local M = {}

local defaults = {
  cmd = { "plantc", "lsp" },
  root_markers = { ".git", "Cargo.toml" },
  on_attach = nil,
}

local clients = {} -- root directory -> client id

local function find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  local home = dir
  while dir and dir ~= "" do
    for _, m in ipairs(markers) do
      if vim.fn.isdirectory(dir .. "/" .. m) == 1 or vim.fn.filereadable(dir .. "/" .. m) == 1 then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      break
    end
    dir = parent
  end
  return home
end

local function attach(opts, bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" then
    return
  end
  local root = find_root(name, opts.root_markers)
  local id = clients[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    id = vim.lsp.start_client({
      name = "plantc",
      cmd = opts.cmd,
      root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
      on_attach = opts.on_attach,
    })
    if id == nil then
      vim.notify("plantc: could not start " .. table.concat(opts.cmd, " "), vim.log.levels.ERROR)
      return
    end
    clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

function M.setup(user)
  local opts = vim.tbl_deep_extend("force", defaults, user or {})
  local group = vim.api.nvim_create_augroup("plantc_lsp", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = "plant",
    callback = function(args)
      attach(opts, args.buf)
    end,
  })
  -- Buffers opened before setup.
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) and vim.bo[b].filetype == "plant" then
      attach(opts, b)
    end
  end
end

return M
