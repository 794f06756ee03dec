// The VS Code client of plantc's language server: starts `plantc lsp` over stdio for
// `.plant` files. The binary comes from the `plant.server.path` setting (default
// `plantc` on PATH); changing the setting restarts the server.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

function serverOptions(): ServerOptions {
  const config = vscode.workspace.getConfiguration("plant");
  const command = config.get<string>("server.path", "plantc") || "plantc";
  const extra = config.get<string[]>("server.extraArgs", []);
  const run = { command, args: ["lsp", ...extra], transport: TransportKind.stdio };
  return { run, debug: run };
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "plant" },
      { scheme: "untitled", language: "plant" },
    ],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.plant"),
    },
  };
  client = new LanguageClient("plantc", "plantc language server", serverOptions(), clientOptions);
  try {
    await client.start();
  } catch (e) {
    const path = vscode.workspace.getConfiguration("plant").get<string>("server.path");
    void vscode.window.showErrorMessage(
      `plantc: could not start \`${path} lsp\` (${e}). Set "plant.server.path" to the plantc binary.`,
    );
  }
  context.subscriptions.push({ dispose: () => void client?.stop() });
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  if (client) {
    await client.stop();
    client = undefined;
  }
  await start(context);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("plant.restartServer", () => restart(context)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("plant.server")) {
        void restart(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
  }
}
