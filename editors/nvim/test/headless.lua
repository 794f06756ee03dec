-- A real editor session for cli/tests/nvim.rs: headless Neovim with this plugin opens a
-- `.plant` file through the real `plantc lsp`, waits for the diagnostic, asks for a
-- hover, fixes the line, waits for the diagnostics to clear, and writes what it saw as
-- JSON. Run: PLANTC=... PLANT_FILE=... PLANT_OUT=... PLANT_RTP=editors/nvim \
--   nvim --headless --clean -u editors/nvim/test/headless.lua
local out = { log = {} }
local function log(msg)
  table.insert(out.log, msg)
end
local function finish()
  local f = io.open(os.getenv("PLANT_OUT"), "w")
  f:write(vim.fn.json_encode(out))
  f:close()
  vim.cmd("qall!")
end

local ok, err = pcall(function()
  vim.opt.runtimepath:prepend(os.getenv("PLANT_RTP"))
  vim.cmd("runtime! ftdetect/plant.lua")
  vim.cmd("filetype plugin on")
  require("plant").setup({ cmd = { os.getenv("PLANTC"), "lsp" } })
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("PLANT_FILE")))
  out.filetype = vim.bo.filetype
  log("opened " .. vim.fn.expand("%:t") .. " (filetype " .. vim.bo.filetype .. ")")

  local function diags()
    return vim.diagnostic.get(0)
  end
  out.got_diagnostics = vim.wait(15000, function()
    return #diags() > 0
  end, 50)
  out.diagnostics = {}
  for _, d in ipairs(diags()) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    table.insert(out.diagnostics, {
      code = code,
      message = d.message,
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
    })
    log(string.format("diagnostic %s at %d:%d-%d:%d: %s", tostring(code), d.lnum, d.col, d.end_lnum, d.end_col, d.message))
  end

  -- Hover on `level` in `tank.level` (line and column from the test).
  local line = tonumber(os.getenv("PLANT_HOVER_LINE"))
  local col = tonumber(os.getenv("PLANT_HOVER_COL"))
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(0),
    position = { line = line, character = col },
  }
  local res = vim.lsp.buf_request_sync(0, "textDocument/hover", params, 10000) or {}
  for _, r in pairs(res) do
    if r.result and r.result.contents then
      local c = r.result.contents
      out.hover = type(c) == "table" and (c.value or vim.inspect(c)) or tostring(c)
    end
  end
  log("hover: " .. tostring(out.hover))

  -- Fix the line the way a user types it; the client sends didChange.
  local fix_line = tonumber(os.getenv("PLANT_FIX_LINE"))
  vim.api.nvim_buf_set_lines(0, fix_line, fix_line + 1, false, { os.getenv("PLANT_FIX_TEXT") })
  log("edited line " .. fix_line)
  out.cleared = vim.wait(15000, function()
    return #diags() == 0
  end, 50)
  log("diagnostics after the edit: " .. #diags())
end)
if not ok then
  out.error = tostring(err)
end
finish()
