; Inno Setup 6 script for mesodesk: per-user install (no admin rights), Start-menu shortcut,
; optional desktop shortcut, uninstaller, version info taken from the package metadata.
;
; Normally run by `python packaging/build.py --target all` on Windows, which calls:
;   ISCC.exe /DAppVersion=0.1.0 /DAppVersionNumeric=0.1.0.0 /DSourceDir=<repo>\dist\mesodesk ^
;            /DOutputDir=<repo>\dist packaging\windows\mesodesk.iss
; Output: dist\mesodesk-<version>-windows-x64-setup.exe
; Silent install (CI smoke test): mesodesk-...-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /CURRENTUSER /DIR=C:\path

#ifndef AppVersion
  #error Pass /DAppVersion=<version> (python packaging/build.py does)
#endif
#ifndef AppVersionNumeric
  #define AppVersionNumeric "0.0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\mesodesk"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

#define AppName "mesodesk"
#define AppExe "mesodesk.exe"

[Setup]
; AppId identifies the installation for upgrades and the uninstaller: never change it.
AppId={{6F1C3B2A-5E7D-4C1B-9A0E-3D2F8B7C6A51}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=mesodesk developers
AppPublisherURL=https://mesolive.io
AppComments=Desktop trading console for MesoLive options strategies
VersionInfoVersion={#AppVersionNumeric}
VersionInfoProductVersion={#AppVersionNumeric}
VersionInfoTextVersion={#AppVersion}
VersionInfoDescription={#AppName} {#AppVersion} setup
VersionInfoProductName={#AppName}
; Per-user: installs to %LOCALAPPDATA%\Programs\mesodesk without elevation; an administrator
; may still pick "install for all users" in the dialog (or /ALLUSERS on the command line).
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SetupIconFile=..\..\resources\mesodesk.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
OutputDir={#OutputDir}
OutputBaseFilename={#AppName}-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
LZMANumBlockThreads=2
WizardStyle=modern
CloseApplications=yes
RestartApplications=no
; Code signing: configure a sign tool named "signtool" in the IDE/ISCC (/Ssigntool=...) and
; uncomment; the release workflow leaves installers unsigned unless a certificate is configured.
;SignTool=signtool
;SignedUninstaller=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; A new version replaces the whole bundle: stale DLLs or .pyd files from an older build must not linger.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "Desktop trading console for MesoLive"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the program folder: the user's data and logs (platformdirs, %LOCALAPPDATA%\mesodesk) stay.
Type: filesandordirs; Name: "{app}\_internal"
