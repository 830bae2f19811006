/**
 * The Reverse Network Proxy searches as the ESCU YAML decodes them, for the compiler tests.
 * Written with `~` for the macro backtick so the SPL can sit in String.raw template literals.
 */
const spl = (strings: TemplateStringsArray): string => strings.raw.join('').replaceAll('~', '`');

const head = spl`| tstats ~security_content_summariesonly~ count min(_time) as firstTime max(_time) as lastTime`;
const tail = (filter: string): string =>
  spl`| ~security_content_ctime(firstTime)~ | ~security_content_ctime(lastTime)~ | ~` + filter + '`';

export const processesBy4 = [
  'process', 'vendor_product', 'user_id', 'process_hash', 'parent_process_name', 'parent_process_exec', 'action',
  'dest', 'process_current_directory', 'process_path', 'process_integrity_level', 'original_file_name',
  'parent_process', 'parent_process_path', 'parent_process_guid', 'parent_process_id', 'process_guid', 'process_id',
  'user', 'process_name',
];
export const ngrokBy = [
  'action', 'dest', 'original_file_name', 'parent_process', 'parent_process_exec', 'parent_process_guid',
  'parent_process_id', 'parent_process_name', 'parent_process_path', 'process', 'process_exec', 'process_guid',
  'process_hash', 'process_id', 'process_integrity_level', 'process_name', 'process_path', 'user', 'user_id',
  'vendor_product',
];
export const dnsBy = ['answer', 'answer_count', 'query', 'query_count', 'reply_code_id', 'src', 'vendor_product'];
export const trafficBy = [
  'action', 'app', 'dest', 'dest_ip', 'dest_port', 'direction', 'dvc', 'protocol', 'protocol_version', 'src', 'src_ip',
  'transport', 'user', 'vendor_product',
];
export const imageLoadBy = [
  'Computer', 'ImageLoaded', 'EventID', 'loaded_file', 'loaded_file_path', 'process_exec', 'process_guid',
  'process_hash', 'process_id', 'process_name', 'process_path', 'service_dll_signature_exists',
  'service_dll_signature_verified', 'signature_id', 'user_id', 'vendor_product',
];

const prefixed = (object: string, fields: string[]): string => fields.map((f) => `${object}.${f}`).join(' ');

/** (a) Windows Ngrok Reverse Proxy Usage */
export const ngrokWindows = `${head} from datamodel=Endpoint.Processes where Processes.process_name=ngrok.exe Processes.process IN ("*start*", "*--config*","*http*","*authtoken*", "*http*", "*tcp*") by ${prefixed('Processes', ngrokBy)} ${spl`| ~drop_dm_object_name(Processes)~`} ${tail('windows_ngrok_reverse_proxy_usage_filter')}`;

/** (b) Ngrok Reverse Proxy on Network */
export const ngrokDns = `${head} from datamodel=Network_Resolution where DNS.query IN ("*.ngrok.com","*.ngrok.io", "ngrok.*.tunnel.com", "korgn.*.lennut.com") by ${prefixed('DNS', dnsBy)} ${spl`| ~drop_dm_object_name("DNS")~`} ${tail('ngrok_reverse_proxy_on_network_filter')}`;

/** (c) Windows Devtunnels Execution */
export const devtunnelsExecution = `${head} from datamodel=Endpoint.Processes where (Processes.original_file_name="devtunnel.dll" OR Processes.process_name="devtunnel.exe") by ${prefixed('Processes', processesBy4)} ${spl`| ~drop_dm_object_name(Processes)~`} ${tail('windows_devtunnels_execution_filter')}`;

/** (d) Windows Potential Cloudflared Tunnel Execution */
export const cloudflaredExecution = `${head} from datamodel=Endpoint.Processes where Processes.process="*tunnel*" ((Processes.process="*run*" Processes.process="*token*") OR (Processes.process="*--url*" Processes.process="*localhost*")) by ${prefixed('Processes', processesBy4)} ${spl`| ~drop_dm_object_name(Processes)~`} ${tail('windows_potential_cloudflared_tunnel_execution_filter')}`;

/** (e) Windows Potential Cloudflared Network Connection */
export const cloudflaredConnection = `${head} values(All_Traffic.src_port) as src_port from datamodel=Network_Traffic.All_Traffic where All_Traffic.dest_port=7844 by ${prefixed('All_Traffic', trafficBy)} ${spl`| ~drop_dm_object_name("All_Traffic")~`} ${tail('windows_potential_cloudflared_network_connection_filter')}`;

/** (f) Windows Devtunnels Image Loaded; `\\` in SPL is one backslash */
export const devtunnelsImageLoaded = spl`~sysmon~ EventID=7 ImageLoaded="*\\AppData\\Local\\Temp\\.net\\devtunnel\\*" ImageLoaded="*devtunnel.dll" | fillnull | stats count min(_time) as firstTime max(_time) as lastTime by ` +
  imageLoadBy.join(', ') + spl` | rename Computer as dest | ~security_content_ctime(firstTime)~ | ~security_content_ctime(lastTime)~ | ~windows_devtunnels_image_loaded_filter~`;

/** (f), older form: `\*` is a literal backslash followed by the wildcard */
export const devtunnelsImageLoadedOld = spl`~sysmon~ EventID=7 ImageLoaded="*AppData\\Local\\Temp\\.net\\devtunnel\*devtunnel.dll" | fillnull | stats count min(_time) as firstTime max(_time) as lastTime by Computer ImageLoaded | rename Computer as dest | ~windows_devtunnels_image_loaded_filter~`;
