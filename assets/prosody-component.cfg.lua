-- Add to prosody.cfg.lua (global section) so that palaver can connect as a component.
-- Prosody listens for components on port 5347 of the loopback interface by default;
-- set these only to change that. Keep the component port off public interfaces.
component_ports = { 5347 }
component_interfaces = { "127.0.0.1" }

-- The MUC service palaver provides. The domain must match palaver's --domain, and the
-- secret its --secret (or PALAVER_SECRET). Do not also enable Prosody's own "muc"
-- component for this domain.
Component "conference.example.org"
    component_secret = "change-me"
