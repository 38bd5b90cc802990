/** The app's inline SVG icons: decorative (aria-hidden), coloured by `currentColor`. */

export const LockIcon = () => (
  <svg viewBox="0 0 20 20" width="13" height="13" aria-hidden="true">
    <rect x="4" y="9" width="12" height="8" rx="2" fill="currentColor" />
    <path d="M7 9V7a3 3 0 0 1 6 0v2" stroke="currentColor" strokeWidth="2" fill="none" />
  </svg>
);
export const PlusIcon = () => (
  <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
    <path d="M10 4v12M4 10h12" stroke="currentColor" strokeWidth="2" strokeLinecap="round" fill="none" />
  </svg>
);
export const SearchIcon = () => (
  <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
    <circle cx="9" cy="9" r="5.5" stroke="currentColor" strokeWidth="2" fill="none" />
    <path d="M13 13l4 4" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
  </svg>
);
export const MenuIcon = () => (
  <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true">
    <path d="M3 5h14M3 10h14M3 15h14" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
  </svg>
);
export const PeopleIcon = () => (
  <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
    <circle cx="7" cy="7" r="3" fill="currentColor" />
    <circle cx="14" cy="8" r="2.4" fill="currentColor" opacity=".7" />
    <path d="M1.5 17c0-3 2.5-5 5.5-5s5.5 2 5.5 5z" fill="currentColor" />
    <path d="M12 12.3c.6-.2 1.3-.3 2-.3 2.6 0 4.5 1.7 4.5 4.5h-5" fill="currentColor" opacity=".7" />
  </svg>
);
export const ClipIcon = () => (
  <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true">
    <path
      d="M14.5 9.5l-5.2 5.2a3.2 3.2 0 0 1-4.5-4.5l5.6-5.6a2.2 2.2 0 0 1 3.1 3.1l-5.5 5.5a1.1 1.1 0 0 1-1.6-1.6l4.9-4.9"
      stroke="currentColor"
      strokeWidth="1.7"
      fill="none"
      strokeLinecap="round"
    />
  </svg>
);
export const SendIcon = () => (
  <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
    <path d="M3 10l14-7-5 15-2.5-6.5z" fill="currentColor" />
  </svg>
);
export const ClockIcon = () => (
  <svg viewBox="0 0 20 20" width="12" height="12" aria-hidden="true">
    <circle cx="10" cy="10" r="7.5" stroke="currentColor" strokeWidth="2" fill="none" />
    <path d="M10 6v4.5l3 2" stroke="currentColor" strokeWidth="2" fill="none" strokeLinecap="round" />
  </svg>
);
export const PinIcon = () => (
  <svg viewBox="0 0 20 20" width="13" height="13" aria-hidden="true">
    <path d="M7 2h6l-1 5 3 3v1H5v-1l3-3z" fill="currentColor" />
    <path d="M10 11v7" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
  </svg>
);
export const ThreadIcon = () => (
  <svg viewBox="0 0 20 20" width="15" height="15" aria-hidden="true">
    <path
      d="M4 4h12v8H9l-4 3v-3H4z"
      stroke="currentColor"
      strokeWidth="1.8"
      fill="none"
      strokeLinejoin="round"
    />
  </svg>
);
export const BellIcon = () => (
  <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
    <path
      d="M10 3a5 5 0 0 0-5 5v3l-1.5 3h13L15 11V8a5 5 0 0 0-5-5z"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinejoin="round"
      fill="none"
    />
    <path d="M8 16.5a2 2 0 0 0 4 0" stroke="currentColor" strokeWidth="1.8" fill="none" />
  </svg>
);
export const BellOffIcon = () => (
  <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
    <path
      d="M10 3a5 5 0 0 0-5 5v3l-1.5 3h13L15 11V8a5 5 0 0 0-5-5z"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinejoin="round"
      fill="none"
      opacity=".6"
    />
    <path d="M3 3l14 14" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
  </svg>
);
export const GearIcon = () => (
  <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
    <circle cx="10" cy="10" r="2.6" stroke="currentColor" strokeWidth="1.8" fill="none" />
    <path
      d="M10 2.5v2M10 15.5v2M2.5 10h2M15.5 10h2M4.7 4.7l1.4 1.4M13.9 13.9l1.4 1.4M4.7 15.3l1.4-1.4M13.9 6.1l1.4-1.4"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
    />
  </svg>
);
